import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { createGroup, listGroups } from "@/lib/groups/groups";

export const GET = withApi(operations.listGroups, async () => ({ groups: await listGroups(db()) }));
export const POST = withApi(operations.createGroup, async ({ caller, body }) => ({ group: await createGroup(db(), caller as Actor, body) }));
