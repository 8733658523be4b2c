import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { addMember, removeMember } from "@/lib/groups/groups";

export const PUT = withApi(operations.addGroupMember, async ({ caller, params }) => ({ group: await addMember(db(), caller as Actor, params.id, params.userId) }));
export const DELETE = withApi(operations.removeGroupMember, async ({ caller, params }) => ({ group: await removeMember(db(), caller as Actor, params.id, params.userId) }));
