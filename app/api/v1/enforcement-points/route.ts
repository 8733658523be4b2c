import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { createEnforcementPoint, listEnforcementPoints } from "@/lib/enforcement-points/enforcement-points";

export const GET = withApi(operations.listEnforcementPoints, async () => ({ enforcementPoints: await listEnforcementPoints(db()) }));
export const POST = withApi(operations.createEnforcementPoint, ({ caller, body }) => createEnforcementPoint(db(), caller as Actor, body));
