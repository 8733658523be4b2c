import { forbidden, redirect } from "next/navigation";
import { cache } from "react";
import { can, type Actor, type Permission } from "@/lib/auth/permissions";
import { currentActor } from "@/lib/auth/session";

export type PageAccess = { actor: Actor; allowed: true } | { actor: Actor; allowed: false; permission: Permission };

/** The permission a page lacked, kept for this request so app/(console)/forbidden.tsx (which gets no props) can name it. */
export const deniedPermission = cache((): { permission?: Permission } => ({}));

/**
 * Every console page calls this itself (never only the proxy): no session → sign-in; a session
 * without the permission → forbidden(): app/(console)/forbidden.tsx inside the console, HTTP 403.
 * (The `allowed: false` branch stays in the type so pages' own checks still compile.)
 */
export async function pageAccess(permission: Permission, from: string): Promise<PageAccess> {
  const actor = await currentActor();
  if (!actor) redirect(`/sign-in?callbackUrl=${encodeURIComponent(from)}`);
  if (!can(actor, permission)) {
    deniedPermission().permission = permission;
    forbidden();
  }
  return { actor, allowed: true };
}
