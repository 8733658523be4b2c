import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { createPerson, listPeople } from "@/lib/people/people";

export const GET = withApi(operations.listPeople, async () => ({ people: await listPeople(db()) }));
export const POST = withApi(operations.createPerson, async ({ caller, body }) => ({ person: await createPerson(db(), caller as Actor, body) }));
