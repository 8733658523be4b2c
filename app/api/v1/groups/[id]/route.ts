import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { deleteGroup, getGroup, updateGroup } from "@/lib/groups/groups";

export const GET = withApi(operations.getGroup, async ({ params }) => ({ group: await getGroup(db(), params.id) }));
export const PATCH = withApi(operations.updateGroup, async ({ caller, params, body }) => ({ group: await updateGroup(db(), caller as Actor, params.id, body) }));
export const DELETE = withApi(operations.deleteGroup, async ({ caller, params }) => deleteGroup(db(), caller as Actor, params.id));
