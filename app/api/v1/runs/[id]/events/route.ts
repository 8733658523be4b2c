import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { db } from "@/lib/db";
import { sseResponse } from "@/lib/events/sse";
import { followRun, requireRun } from "@/lib/runs/timeline";

export const dynamic = "force-dynamic";

export const GET = withApi(operations.runEvents, async ({ params, req }) => {
  await requireRun(db(), params.id);
  const lastEventId = req.headers.get("last-event-id") ?? req.nextUrl.searchParams.get("lastEventId");
  return sseResponse(req.signal, (send) => followRun(db(), params.id, lastEventId, send));
});
