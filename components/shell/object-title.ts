import type { Metadata } from "next";
import { can, type Permission } from "@/lib/auth/permissions";
import { currentActor } from "@/lib/auth/session";

/**
 * A detail page's tab title that names its object ("Lease lse_… · repo-maintenance-agent"). Only for
 * someone the page would show it to: otherwise, or when the object is missing, the generic `fallback`
 * (the page itself answers 403/404).
 */
export async function objectTitle(permission: Permission, fallback: string, describe: () => Promise<string>): Promise<Metadata> {
  const actor = await currentActor();
  if (!actor || !can(actor, permission)) return { title: fallback };
  try {
    return { title: await describe() };
  } catch {
    return { title: fallback };
  }
}
