import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import { subscribe } from "@/lib/events/bus";
import { sseResponse } from "@/lib/events/sse";

export const dynamic = "force-dynamic";

// The approval queue listens here: every escalation change, on any instance, within a NOTIFY round trip.
export const GET = withApi(operations.escalationStream, async ({ req }) =>
  sseResponse(req.signal, (send) =>
    subscribe((e) => {
      if (e.type.startsWith("escalation.")) send({ event: e.type, data: e });
    }),
  ),
);
