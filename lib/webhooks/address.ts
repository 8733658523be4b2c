import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/**
 * Where webhooks may not go: a webhook URL is chosen by an admin but fetched by the server, so without
 * this it could reach the server's own loopback services, the cloud metadata endpoint or the private
 * network behind it (SSRF). Names are checked after DNS resolution, at delivery, and the connection is
 * pinned to the address that was checked.
 */
const internal = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], // "this network", unspecified
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // CGNAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, cloud metadata (169.254.169.254)
  ["172.16.0.0", 12],
  ["192.0.0.0", 24], // IETF assignments (some clouds' metadata)
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) internal.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [
  ["::", 96], // unspecified, loopback, IPv4-compatible
  ["100::", 64], // discard
  ["64:ff9b:1::", 48], // local-use NAT64
  ["2001::", 32], // Teredo
  ["2001:db8::", 32],
  ["fc00::", 7], // unique local (AWS metadata fd00:ec2::254)
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local
  ["ff00::", 8], // multicast
] as const) internal.addSubnet(net, prefix, "ipv6");

/** The IPv4 address an IPv6 one carries (mapped ::ffff:a.b.c.d, translated ::ffff:0:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16), if any. */
function embeddedIpv4(ip6: string): string | null {
  const words = expand(ip6);
  if (!words) return null;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) return v4(words[6]!, words[7]!);
  // IPv4-translated ::ffff:0:a.b.c.d (SIIT, RFC 6145): a translator on the path delivers it to a.b.c.d.
  if (words.slice(0, 4).every((w) => w === 0) && words[4] === 0xffff && words[5] === 0) return v4(words[6]!, words[7]!);
  if (words[0] === 0x64 && words[1] === 0xff9b && words.slice(2, 6).every((w) => w === 0)) return v4(words[6]!, words[7]!);
  if (words[0] === 0x2002) return v4(words[1]!, words[2]!);
  return null;
}

/** Eight 16-bit words of an IPv6 address (a dotted IPv4 tail included). */
function expand(ip6: string): number[] | null {
  let s = ip6;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = s.split("::") as [string, string | undefined];
  const part = (x: string) => (x ? x.split(":").map((w) => parseInt(w, 16)) : []);
  const h = part(head);
  const t = tail === undefined ? [] : part(tail);
  const words = tail === undefined ? h : [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
  return words.length === 8 && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff) ? words : null;
}

/** True for an address a webhook must not reach: loopback, private, link-local, CGNAT, multicast, unspecified, reserved. */
export function isInternalAddress(ip: string): boolean {
  const bare = ip.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const family = isIP(bare);
  if (family === 4) return internal.check(bare, "ipv4");
  if (family !== 6) return true; // not an address at all: refuse rather than guess
  const v4 = embeddedIpv4(bare);
  if (v4 !== null && internal.check(v4, "ipv4")) return true;
  return internal.check(bare, "ipv6");
}

/** Names that are internal by definition (RFC 6761 localhost, the GCP metadata name) and need no DNS to refuse. */
const INTERNAL_NAME = /(^|\.)localhost\.?$|^metadata\.google\.internal\.?$/i;

/**
 * Why `raw` may not be a webhook URL, or null when it may. No network call: an IP literal (in any
 * spelling WHATWG URL normalises, e.g. 127.1, 2130706433, 0x7f000001, 017700000001) is classified
 * here; a name is checked again after resolution at delivery. `allowedHosts` (normalised hostnames)
 * are exempt.
 */
export function webhookUrlProblem(raw: string, allowedHosts: ReadonlySet<string>): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must be http or https";
  if (url.username || url.password) return "must not carry credentials";
  if (allowedHosts.has(url.hostname)) return null;
  if (isIP(url.hostname.replace(/^\[|\]$/g, ""))) {
    return isInternalAddress(url.hostname) ? "points to an internal address (loopback, private, link-local, multicast or metadata)" : null;
  }
  if (INTERNAL_NAME.test(url.hostname)) return "points to an internal host";
  return null;
}

export class WebhookTargetRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookTargetRefused";
  }
}

export type PinnedAddress = { address: string; family: 4 | 6 };

/**
 * Resolves the URL's host once and returns the address to connect to. Every address the name resolves
 * to must be public (unless the host is allowed by name): a name with one internal answer among public
 * ones is refused, so the choice of address cannot be steered. The caller connects to exactly this
 * address, so a DNS answer that changes after this check (rebinding) is never used. The message never
 * names the address (it would map internal DNS for whoever reads delivery errors).
 */
export async function resolveWebhookTarget(url: URL, allowedHosts: ReadonlySet<string>, timeoutMs = 5_000): Promise<PinnedAddress> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let answers: { address: string; family: number }[];
  let timer: NodeJS.Timeout | undefined;
  try {
    // getaddrinfo has no deadline of its own: a resolver that hangs must not hold up the delivery loop.
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(Object.assign(new Error("lookup timed out"), { code: "ETIMEOUT" })), timeoutMs)));
    answers = await Promise.race([lookup(host, { all: true, verbatim: true }), timeout]);
  } catch (err) {
    throw new WebhookTargetRefused(`could not resolve ${url.hostname}: ${(err as { code?: string }).code ?? "lookup failed"}`);
  } finally {
    clearTimeout(timer);
  }
  if (!answers.length) throw new WebhookTargetRefused(`could not resolve ${url.hostname}`);
  if (!allowedHosts.has(url.hostname) && (INTERNAL_NAME.test(url.hostname) || answers.some((a) => isInternalAddress(a.address)))) {
    throw new WebhookTargetRefused(`refused: ${url.hostname} resolves to an internal address (allow it by name in LANYARD_WEBHOOK_ALLOWED_HOSTS if intended)`);
  }
  const first = answers[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}
