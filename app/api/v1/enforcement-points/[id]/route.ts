import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { revokeEnforcementPoint } from "@/lib/enforcement-points/enforcement-points";

export const DELETE = withApi(operations.revokeEnforcementPoint, ({ caller, params }) => revokeEnforcementPoint(db(), caller as Actor, params.id));
