import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { updatePerson } from "@/lib/people/people";

export const PATCH = withApi(operations.updatePerson, async ({ caller, params, body }) => ({ person: await updatePerson(db(), caller as Actor, params.id, body) }));
