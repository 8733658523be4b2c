import { getServerSession } from "next-auth";
import { authOptions } from "@/lib/auth/options";
import { can, type Actor, type Permission } from "@/lib/auth/permissions";
import { AppError } from "@/lib/errors";
import { db, type Db } from "@/lib/db";

/**
 * The signed-in person, read fresh from the database on every request: a disabled person, or a
 * session minted before their role changed (sessionVersion), is signed out at once.
 */
export async function currentActor(): Promise<Actor | null> {
  return actorForSession(db(), (await getServerSession(authOptions())) as SessionClaims | null);
}

export type SessionClaims = { uid?: unknown; sv?: unknown; sid?: unknown };

/** The person a session names, if they are still active and the session is not older than their last role change or disablement. */
export async function actorForSession(database: Db, session: SessionClaims | null): Promise<Actor | null> {
  if (!session || typeof session.uid !== "string" || typeof session.sv !== "number") return null;
  const user = await database.user.findUnique({ where: { id: session.uid } });
  if (!user || user.status !== "active" || user.sessionVersion !== session.sv) return null;
  // Sessions signed in before sessions had ids share one name per person (until they expire, 8 h).
  const signIn = { id: typeof session.sid === "string" ? session.sid : "", version: user.sessionVersion };
  return { kind: "user", id: user.id, email: user.email, name: user.name, role: user.role, session: signIn };
}

/** For route handlers and server actions: the actor, or a 401/403 AppError. */
export async function requireActor(permission: Permission): Promise<Actor> {
  const actor = await currentActor();
  if (!actor) throw new AppError("unauthenticated", "Sign in first");
  if (!can(actor, permission)) throw new AppError("forbidden", `Your role (${actor.role}) does not allow ${permission}`);
  return actor;
}
