import { redirect } from "next/navigation";
import { can, type Actor, type Permission } from "@/lib/auth/permissions";
import { currentActor } from "@/lib/auth/session";

export type PageAccess = { actor: Actor; allowed: true } | { actor: Actor; allowed: false; permission: Permission };

/**
 * Every console page calls this itself (never only the proxy): no session → sign-in; a session
 * without the permission → the page renders its 403 panel.
 */
export async function pageAccess(permission: Permission, from: string): Promise<PageAccess> {
  const actor = await currentActor();
  if (!actor) redirect(`/sign-in?callbackUrl=${encodeURIComponent(from)}`);
  return can(actor, permission) ? { actor, allowed: true } : { actor, allowed: false, permission };
}
