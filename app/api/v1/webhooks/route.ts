import { withApi } from "@/lib/api/handler";
import { operations } from "@/lib/api/operations";
import type { Actor } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { createWebhook, listWebhooks } from "@/lib/webhooks/webhooks";

export const GET = withApi(operations.listWebhooks, async () => ({ webhooks: await listWebhooks(db()) }));
export const POST = withApi(operations.createWebhook, ({ caller, body }) => createWebhook(db(), caller as Actor, body));
