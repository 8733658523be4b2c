import { NextResponse } from "next/server";
import { toErrorResponse } from "@/lib/api/error-response";
import { db } from "@/lib/db";
import { jwks } from "@/lib/tokens/keys";

export const dynamic = "force-dynamic";

export async function GET() {
  try {
    return NextResponse.json(await jwks(db()), { headers: { "cache-control": "public, max-age=60" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
