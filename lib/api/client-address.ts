/** Set by Lanyard's own server from the socket, overwriting any value a client sent. */
export const CLIENT_ADDRESS_HEADER = "x-lanyard-client-address";

/**
 * The address a request came from, for per-address limits: the last hop of X-Forwarded-For only when
 * a trusted proxy sets it (LANYARD_TRUST_PROXY=1), else the address our server took from the socket;
 * with neither, every request shares the one bucket "unknown". The last hop, because that is the one
 * the trusted proxy appended (the peer it saw); the hops before it are whatever the client sent, and
 * a client that picks its own address picks a fresh bucket each time.
 */
export function clientAddress(headers: Headers, trustProxy: boolean): string {
  if (trustProxy) {
    const last = headers.get("x-forwarded-for")?.split(",").at(-1)?.trim();
    if (last) return last.slice(0, 100);
  }
  return headers.get(CLIENT_ADDRESS_HEADER)?.trim().slice(0, 100) || "unknown";
}
