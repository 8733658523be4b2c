import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { castVote } from "@/lib/escalations/vote";

export const POST = withApi(operations.voteEscalation, async ({ caller, params, body }) => ({ escalation: await castVote(db(), caller as Actor, params.id, body.verdict, body.reason) }));
