import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { PinnedAddress } from "@/lib/webhooks/address";

/**
 * POSTs `body` to `url` over a connection to exactly `pinned` (the address that was checked), whatever
 * the name resolves to by now: the request's own lookup answers with the pinned address. TLS still
 * verifies the certificate against the URL's host name (SNI too). Redirects are not followed; the
 * status is all that is read.
 */
export function postPinned(url: URL, pinned: PinnedAddress, body: string, headers: Record<string, string>, timeoutMs: number): Promise<number> {
  const lookup: LookupFunction = (_host, opts, cb) => {
    if (opts.all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
    else cb(null, pinned.address, pinned.family);
  };
  const client = url.protocol === "https:" ? https : http;
  return new Promise<number>((resolve, reject) => {
    const req = client.request(
      url,
      { method: "POST", lookup, agent: false, signal: AbortSignal.timeout(timeoutMs), headers: { ...headers, "content-length": String(Buffer.byteLength(body)) } },
      (res) => {
        resolve(res.statusCode ?? 0);
        res.destroy();
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
