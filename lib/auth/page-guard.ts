import { forbidden, redirect } from "next/navigation";
import { can, type Actor, type Permission } from "@/lib/auth/permissions";
import { currentActor } from "@/lib/auth/session";

export type PageAccess = { actor: Actor; allowed: true } | { actor: Actor; allowed: false; permission: Permission };

/**
 * Every console page calls this itself (never only the proxy): no session → sign-in; a session
 * without the permission → forbidden(): app/(console)/forbidden.tsx inside the console, HTTP 403.
 * (The `allowed: false` branch stays in the type so pages' own checks still compile.)
 */
export async function pageAccess(permission: Permission, from: string): Promise<PageAccess> {
  const actor = await currentActor();
  if (!actor) redirect(`/sign-in?callbackUrl=${encodeURIComponent(from)}`);
  if (!can(actor, permission)) forbidden();
  return { actor, allowed: true };
}
