import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { deleteWebhook } from "@/lib/webhooks/webhooks";

export const DELETE = withApi(operations.deleteWebhook, ({ caller, params }) => deleteWebhook(db(), caller as Actor, params.id));
