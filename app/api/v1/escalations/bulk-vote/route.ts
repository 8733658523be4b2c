import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { bulkVote } from "@/lib/escalations/bulk";

export const POST = withApi(operations.bulkVoteEscalations, ({ caller, body }) => bulkVote(db(), caller as Actor, body));
