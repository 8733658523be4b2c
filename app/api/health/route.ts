import { NextResponse } from "next/server";
import { Prisma } from "@/lib/generated/prisma/client";
import { db } from "@/lib/db";

export const dynamic = "force-dynamic";

/** Liveness and readiness: 200 when the database answers, 503 (fail closed) when it does not. */
export async function GET() {
  const started = Date.now();
  try {
    await db().$queryRaw(Prisma.sql`SELECT 1`);
    return NextResponse.json({ status: "ok", database: "ok", latencyMs: Date.now() - started });
  } catch {
    return NextResponse.json({ status: "unavailable", database: "unreachable" }, { status: 503, headers: { "retry-after": "1" } });
  }
}
