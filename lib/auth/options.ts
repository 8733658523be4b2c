import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { appendAudit } from "@/lib/audit/append";
import { db } from "@/lib/db";
import { env } from "@/lib/env";
import { verifyPassword } from "@/lib/auth/password";
import { now } from "@/lib/clock";
import { newId } from "@/lib/ids";
import { TokenBuckets } from "@/lib/token-buckets";
import { syncSsoGroups } from "@/lib/groups/sso";

type SignedInUser = { id: string; email: string; name: string; sv: number };

/** At most this many failed sign-ins per email in the window; then every attempt is refused until it passes. */
export const MAX_FAILURES = 10;
export const FAILURE_WINDOW_MS = 15 * 60_000;

let attempts: TokenBuckets | undefined;

/**
 * Password attempts this instance takes on, whoever makes them (LANYARD_SIGN_IN_RATE_LIMIT per second,
 * bursts of twice that). Each costs a scrypt (32 MiB, tens of ms) and writes; a flood of guesses at
 * random emails, which the per-email throttle does not slow, must not starve the decision path. Beyond
 * it an attempt is refused before any work, like a wrong password, and not audited (a flood would fill the log).
 */
function passwordAttempts(): TokenBuckets {
  attempts ??= new TokenBuckets(env().LANYARD_SIGN_IN_RATE_LIMIT, env().LANYARD_SIGN_IN_RATE_LIMIT * 2);
  return attempts;
}

/** For tests: another rate and burst for this process (undefined: back to the environment's). */
export function setSignInRateLimit(limit?: { rate: number; burst: number }): void {
  attempts = limit ? new TokenBuckets(limit.rate, limit.burst) : undefined;
}

async function signInWithPassword(emailInput: string, password: string): Promise<SignedInUser | null> {
  if (!passwordAttempts().take("password").ok) return null;
  const email = emailInput.trim().toLowerCase();
  // Counted from the audit log, so the limit holds across every app instance.
  const recentFailures = await db().auditEvent.count({
    where: { action: "auth.sign_in_failed", subjectId: email, at: { gt: new Date(now().getTime() - FAILURE_WINDOW_MS) } },
  });
  if (recentFailures >= MAX_FAILURES) {
    await db().$transaction((tx) =>
      appendAudit(tx, { action: "auth.sign_in_throttled", actor: { type: "system", label: email.slice(0, 200) }, subject: { type: "email", id: email.slice(0, 320) }, outcome: "deny", payload: { recentFailures } }),
    );
    return null;
  }
  const user = await db().user.findUnique({ where: { email }, omit: { passwordHash: false } });
  const ok = await verifyPassword(password, user?.passwordHash);
  const active = ok && user?.status === "active";
  await db().$transaction(async (tx) => {
    if (active) await tx.user.update({ where: { id: user.id }, data: { lastLoginAt: now() } });
    await appendAudit(tx, {
      action: active ? "auth.sign_in" : "auth.sign_in_failed",
      actor: user ? { type: "user", id: user.id, label: user.email } : { type: "system", label: email.slice(0, 200) },
      // Failures are keyed by the email tried (known or not), for the throttle above.
      subject: active && user ? { type: "user", id: user.id } : { type: "email", id: email.slice(0, 320) },
      outcome: active ? "allow" : "deny",
      payload: { method: "password", ...(active ? {} : { reason: !user ? "unknown_email" : !ok ? "bad_password" : "disabled" }) },
    });
  });
  return active ? { id: user.id, email: user.email, name: user.name, sv: user.sessionVersion } : null;
}

/**
 * The identity an OIDC provider vouches for. People are matched by email, so an email counts only when
 * the provider says it verified it (`email_verified`): on a provider where users set their own email,
 * claiming admin@ must not make one the admin.
 */
export function oidcProfile(p: { sub: string; email?: string; email_verified?: boolean | string; name?: string; [claim: string]: unknown }) {
  // The group claim is passed on as the provider sent it; syncSsoGroups reads it (lib/groups/sso.ts).
  const groups: unknown = p[env().OIDC_GROUPS_CLAIM];
  return { id: p.sub, email: p.email ?? "", name: p.name ?? p.email ?? p.sub, emailVerified: p.email_verified === true || p.email_verified === "true", groups };
}

function oidcProvider(): NextAuthOptions["providers"] {
  const { OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_NAME } = env();
  if (!OIDC_ISSUER || !OIDC_CLIENT_ID || !OIDC_CLIENT_SECRET) return [];
  return [
    {
      id: "oidc",
      name: OIDC_NAME,
      type: "oauth",
      wellKnown: `${OIDC_ISSUER.replace(/\/$/, "")}/.well-known/openid-configuration`,
      clientId: OIDC_CLIENT_ID,
      clientSecret: OIDC_CLIENT_SECRET,
      authorization: { params: { scope: "openid email profile" } },
      idToken: true,
      checks: ["pkce", "state", "nonce"],
      profile: oidcProfile,
    },
  ];
}

export { signInWithPassword };

export function authOptions(): NextAuthOptions {
  return {
    secret: env().NEXTAUTH_SECRET,
    session: { strategy: "jwt", maxAge: 8 * 3600 },
    pages: { signIn: "/sign-in", error: "/sign-in" },
    providers: [
      CredentialsProvider({
        name: "Email and password",
        credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
        async authorize(credentials) {
          if (!credentials?.email || !credentials.password) return null;
          if (credentials.email.length > 320 || credentials.password.length > 1024) return null;
          return signInWithPassword(credentials.email, credentials.password);
        },
      }),
      ...oidcProvider(),
    ],
    callbacks: {
      // SSO signs in only people an admin has already added, and never a disabled one.
      async signIn({ user, account }) {
        if (account?.provider !== "oidc") return true;
        const verified = (user as { emailVerified?: boolean }).emailVerified === true;
        const email = user.email?.toLowerCase();
        const person = email && verified ? await db().user.findUnique({ where: { email } }) : null;
        await db().$transaction((tx) =>
          appendAudit(tx, {
            action: person?.status === "active" ? "auth.sign_in" : "auth.sign_in_failed",
            actor: person ? { type: "user", id: person.id, label: person.email } : { type: "system", label: email || "unknown" },
            outcome: person?.status === "active" ? "allow" : "deny",
            payload: { method: "oidc", ...(email && !verified ? { reason: "email_not_verified" } : {}) },
          }),
        );
        // Memberships from the group claim, before the session exists; if this throws, next-auth refuses the
        // sign-in rather than letting in a person whose groups differ from what the provider says.
        if (person?.status === "active") await syncSsoGroups(db(), person.email, (user as { groups?: unknown }).groups);
        return person?.status === "active";
      },
      async jwt({ token, user, account }) {
        // A server-side name for this sign-in, so a proof of presence belongs to it and not to the person's
        // other sessions (lib/presence/proof.ts).
        if (user) token.sid = newId("ses");
        if (user && account?.provider === "oidc") {
          const person = await db().user.findUnique({ where: { email: user.email!.toLowerCase() } });
          if (person) Object.assign(token, { uid: person.id, sv: person.sessionVersion });
        } else if (user) {
          const u = user as unknown as SignedInUser;
          Object.assign(token, { uid: u.id, sv: u.sv });
        }
        return token;
      },
      async session({ session, token }) {
        return { ...session, uid: token.uid, sv: token.sv, sid: token.sid } as typeof session;
      },
    },
  };
}
