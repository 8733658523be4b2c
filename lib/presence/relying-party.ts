import { env } from "@/lib/env";

export type RelyingParty = { id: string; origin: string; name: string };

/**
 * Who passkeys are made for. LANYARD_PUBLIC_URL when set (behind a proxy, the address people type);
 * otherwise the request's own Origin, which withApi has already checked is this console's (a POST from
 * another site never gets here). The RP id is that origin's host name: passkeys made on
 * http://localhost:3000 work on any port of localhost, and WebAuthn refuses an IP address as RP id, so
 * open the console by name (http://localhost is a secure context; any other host needs https).
 */
export function relyingParty(req: { headers: Headers }): RelyingParty {
  const configured = env().LANYARD_PUBLIC_URL;
  const origin = configured ? new URL(configured).origin : (req.headers.get("origin") ?? "");
  const url = URL.canParse(origin) ? new URL(origin) : null;
  return { id: url?.hostname ?? "", origin: url?.origin ?? "", name: "Lanyard" };
}
