import { notFound } from "@/lib/api/errors";
import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { db } from "@/lib/db";
import { sseResponse } from "@/lib/events/sse";
import { followRun } from "@/lib/runs/timeline";

export const dynamic = "force-dynamic";

export const GET = withApi(operations.runEvents, async ({ params, req }) => {
  // Fail before streaming when the run does not exist (404 in the error shape, not an event).
  if (!(await db().run.findUnique({ where: { id: params.id }, select: { id: true } }))) throw notFound(`run ${params.id}`);
  const lastEventId = req.headers.get("last-event-id") ?? req.nextUrl.searchParams.get("lastEventId");
  return sseResponse(req.signal, (send) => followRun(db(), params.id, lastEventId, send));
});
