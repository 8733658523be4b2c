/** Set by Lanyard's own server from the socket, overwriting any value a client sent. */
export const CLIENT_ADDRESS_HEADER = "x-lanyard-client-address";

/**
 * The address a request came from, for per-address limits: the first hop of X-Forwarded-For only when
 * a trusted proxy sets it (LANYARD_TRUST_PROXY=1), else the address our server took from the socket;
 * with neither, every request shares the one bucket "unknown".
 */
export function clientAddress(headers: Headers, trustProxy: boolean): string {
  if (trustProxy) {
    const first = headers.get("x-forwarded-for")?.split(",")[0]?.trim();
    if (first) return first.slice(0, 100);
  }
  return headers.get(CLIENT_ADDRESS_HEADER)?.trim().slice(0, 100) || "unknown";
}
