/**
 * A small typed client of Lanyard's public v1 API for enforcement points that are not MCP (and for the
 * MCP gateway itself): decide, escalateAndWait, guard. It imports nothing from Lanyard's code: it is
 * what a third party would write against API.md. Every failure to get an answer (unreachable, slow past
 * the bound, 5xx, 429) is a LanyardUnavailable, and callers fail closed on it.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import https from "node:https";

// A spec's front matter as a lease's intent, for an enforcement point that fetched the spec (pass it at issue).
export { intentFromTaskRef, parseIntentFields, type Intent } from "./task-ref";

export type Reason = { code: string; message: string };
export type ResourceRef = { type: string; id: string; attributes?: Record<string, string | number | boolean> };
export type DecisionRequest = {
  leaseToken: string;
  tool: string;
  resource?: ResourceRef;
  context?: { environment?: string } & Record<string, unknown>;
  approvalId?: string;
  /** the call's arguments (a JSON object, at most 16 KiB): stored with the decision and shown to approvers */
  arguments?: Record<string, unknown>;
  /** or only their digest (argumentsDigest()), when the values must not leave the enforcement point */
  argumentsDigest?: string;
};
/** What happened after an allowed call (POST /api/v1/decisions/{id}/outcome). */
export type OutcomeReport = { status: "ok" | "error"; resultDigest?: string; durationMs?: number; summary?: string };
export type Decision = {
  decision: "allow" | "deny" | "escalate";
  decisionId: string;
  reasons: Reason[];
  escalationId: string | null;
  lease: { id: string; status: string; remainingToolCalls: number; expiresAt: string } | null;
};
export type Escalation = {
  id: string;
  status: "pending" | "approved" | "denied" | "expired" | "consumed" | "cancelled";
  approvalId: string | null;
  approvals: { by: string; verdict: string; reason: string; at: string }[];
  expiresAt: string;
};
export type Introspection = {
  active: boolean;
  reasons: Reason[];
  lease: { id: string; runId: string; agentId: string; status: string; environment: string; expiresAt: string; remainingToolCalls: number } | null;
  tools: { tool: string; resource: { type: string; ids: string[] } | null; stepUp: boolean; risk: string; readOnly: boolean }[];
};
export type Connection = {
  id: string;
  name: string;
  transport: { type: "stdio"; command: string; args: string[]; envNames: string[] } | { type: "http"; url: string; headerNames: string[] };
  tools: { upstream: string; tool: string; resource?: { type: string; argument: string } }[];
  resources: { tool: string } | null;
  prompts: { tool: string } | null;
  /** the vault's live credentials for this connection: where each goes and which tools it serves (never a value) */
  credentials?: { name: string; kind: string; inject: { header: string } | { env: string }; tools: string[] }[];
  version: number;
};
/** A credential released to this key (scope credentials:use) for one allowed call or one session start. */
export type ReleasedCredential = { name: string; connectionId: string; kind: string; inject: { header: string } | { env: string }; value: string; expiresAt: string | null };

/** No answer from Lanyard: unreachable, too slow, 5xx or rate-limited. Fail closed. */
export class LanyardUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LanyardUnavailable";
  }
}
/** Lanyard answered, but refused the request itself (4xx other than 429): a bug or a bad key. */
export class LanyardRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "LanyardRefused";
  }
}
/** A guarded call that policy or people refused; `reasons` says which rule. */
export class CallDenied extends Error {
  constructor(
    readonly reasons: Reason[],
    readonly decisionId: string | null,
  ) {
    super(reasons.map((r) => `${r.code}: ${r.message}`).join("; ") || "denied");
    this.name = "CallDenied";
  }
}

export type LanyardClientOptions = {
  url: string;
  key: string;
  /** bound on each request except long-polls (which get their wait plus this); default 5000 ms */
  timeoutMs?: number;
};

export type WaitOptions = {
  /** called before each long-poll round, with the seconds waited so far: send progress from here */
  onWait?: (waitedSeconds: number) => void | Promise<void>;
  signal?: AbortSignal;
  /** seconds per long-poll round (Lanyard caps it); default 20 */
  pollSeconds?: number;
};

export type GuardOptions<T> = WaitOptions & {
  /** how the result counts (e.g. an MCP result with isError is an error); default ok */
  judge?: (result: T) => { status: "ok" | "error"; summary?: string };
  /** a report that could not be delivered: the call already ran, so it is not failed for that */
  onOutcomeError?: (err: unknown) => void;
};

/** Outcome reports in flight at once; past this a guarded call waits for room before it returns. */
export const MAX_PENDING_OUTCOMES = 512;

/** The most arguments a decision may carry as values (Lanyard refuses more); larger ones go as their digest. */
export const MAX_ARGUMENTS_BYTES = 16 * 1024;

/** The arguments part of a decision request: the values (Lanyard digests them), or only their digest when they must not be sent or are too large. */
export function argumentsFields(args: Record<string, unknown>, send = true): Pick<DecisionRequest, "arguments" | "argumentsDigest"> {
  if (send && Buffer.byteLength(JSON.stringify(args)) <= MAX_ARGUMENTS_BYTES) return { arguments: args };
  return { argumentsDigest: argumentsDigest(args) };
}

/** Hex sha-256 of a result's canonical JSON, or undefined for a value JSON cannot hold. */
export function resultDigest(result: unknown): string | undefined {
  try {
    return argumentsDigest(result);
  } catch {
    return undefined;
  }
}

/** Hex sha-256 of the canonical JSON (sorted keys, no spaces: RFC 8785 for the JSON MCP arguments carry). */
export function argumentsDigest(args: unknown): string {
  return createHash("sha256").update(canonicalJson(args)).digest("hex");
}

export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(v as object).sort();
  return `{${keys.filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(",")}}`;
}

export function createLanyardClient(opts: LanyardClientOptions) {
  const base = new URL(opts.url.replace(/\/+$/, ""));
  const prefix = base.pathname.replace(/\/+$/, "");
  const timeoutMs = opts.timeoutMs ?? 5_000;
  // One keep-alive pool of sockets to Lanyard, spoken to with node:http: a decision on every call is the
  // hot path, and global fetch (undici plus web streams) cost the gateway more CPU than the rest of it.
  // Idle sockets are closed before a typical server's 5 s keep-alive timeout closes them under us.
  const lib = base.protocol === "https:" ? https : http;
  const agent = new lib.Agent({ keepAlive: true, maxSockets: 256, timeout: 4_000, scheduling: "lifo" });
  const authorization = `Bearer ${opts.key}`;

  /** One exchange; resolves with the status and the body's text. A reset of a reused idle socket before any answer is retried once (the server closed it idle; it read nothing). */
  function exchange(method: string, path: string, payload: string | undefined, signal: AbortSignal, retried = false): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = { authorization, accept: "application/json" };
      if (payload !== undefined) {
        headers["content-type"] = "application/json";
        headers["content-length"] = Buffer.byteLength(payload);
      }
      let answered = false;
      const req = lib.request({ protocol: base.protocol, hostname: base.hostname, port: base.port, path: prefix + path, method, headers, agent, signal }, (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      });
      req.on("error", (err: NodeJS.ErrnoException) => {
        if (!answered && !retried && req.reusedSocket && !signal.aborted && (err.code === "ECONNRESET" || err.code === "EPIPE")) resolve(exchange(method, path, payload, signal, true));
        else reject(err);
      });
      req.end(payload);
    });
  }

  async function request<T>(method: string, path: string, body?: unknown, extra: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<T> {
    const bound = AbortSignal.timeout(extra.timeoutMs ?? timeoutMs);
    const signal = extra.signal ? AbortSignal.any([bound, extra.signal]) : bound;
    let res: { status: number; text: string };
    try {
      res = await exchange(method, path, body === undefined ? undefined : JSON.stringify(body), signal);
    } catch (err) {
      if (extra.signal?.aborted) throw extra.signal.reason ?? err;
      throw new LanyardUnavailable(bound.aborted ? `Lanyard did not answer within ${extra.timeoutMs ?? timeoutMs} ms` : `Lanyard is unreachable (${(err as Error).message})`);
    }
    let json: unknown;
    try {
      json = JSON.parse(res.text);
    } catch {
      throw new LanyardUnavailable(`Lanyard answered ${res.status} without a JSON body`);
    }
    if (res.status >= 500 || res.status === 429) throw new LanyardUnavailable(`Lanyard answered ${res.status} (${(json as { error?: { code?: string } }).error?.code ?? "error"})`);
    if (res.status < 200 || res.status >= 300) {
      const e = (json as { error?: { code?: string; message?: string } }).error;
      throw new LanyardRefused(res.status, e?.code ?? "error", e?.message ?? `HTTP ${res.status}`);
    }
    return json as T;
  }

  // Outcome reports under way: guard() returns the result without waiting for its report, at most
  // MAX_PENDING_OUTCOMES are in flight (a call past that waits for room, so none is dropped), and
  // flush() waits for every one (the gateway flushes on shutdown).
  const pendingOutcomes = new Set<Promise<void>>();
  const queueOutcome = async (send: () => Promise<void>): Promise<void> => {
    while (pendingOutcomes.size >= MAX_PENDING_OUTCOMES) await Promise.race(pendingOutcomes);
    // After the result has gone back: the digest and the report are off the call's critical path.
    const p: Promise<void> = new Promise<void>((r) => setImmediate(r))
      .then(send)
      .catch(() => {})
      .finally(() => pendingOutcomes.delete(p));
    pendingOutcomes.add(p);
  };

  const client = {
    /** Waits until every outcome report queued so far has been delivered (or has failed and been passed to onOutcomeError). */
    async flush(): Promise<void> {
      while (pendingOutcomes.size) await Promise.all(pendingOutcomes);
    },
    /** Outcome reports not yet delivered. */
    pendingOutcomes: () => pendingOutcomes.size,
    decide: (req: DecisionRequest) => request<Decision>("POST", "/api/v1/decisions", req),
    /** Once per allow, by the key that received it (again: 409). */
    reportOutcome: (decisionId: string, o: OutcomeReport) => request<{ outcome: OutcomeReport & { decisionId: string; at: string } }>("POST", `/api/v1/decisions/${encodeURIComponent(decisionId)}/outcome`, o),
    introspect: (leaseToken: string) => request<Introspection>("POST", "/api/v1/leases/introspect", { leaseToken }),
    connections: async () => (await request<{ connections: Connection[] }>("GET", "/api/v1/connections")).connections,
    /** The vault: for an allow this key received (within seconds of it, once), or a session start of a stdio upstream. */
    releaseCredentials: async (body: { decisionId: string; connectionId?: string } | { leaseToken: string; connectionId: string }) =>
      (await request<{ credentials: ReleasedCredential[] }>("POST", "/api/v1/credentials/release", body)).credentials,
    escalation: async (id: string, waitSeconds = 0, signal?: AbortSignal) =>
      (await request<{ escalation: Escalation }>("GET", `/api/v1/escalations/${encodeURIComponent(id)}${waitSeconds ? `?waitSeconds=${waitSeconds}` : ""}`, undefined, { timeoutMs: timeoutMs + waitSeconds * 1000, signal })).escalation,

    /** Long-polls an escalation until people decide it (or it expires); returns its final state. */
    async escalateAndWait(escalationId: string, w: WaitOptions = {}): Promise<Escalation> {
      const started = Date.now();
      for (;;) {
        w.signal?.throwIfAborted();
        await w.onWait?.(Math.round((Date.now() - started) / 1000));
        const e = await client.escalation(escalationId, w.pollSeconds ?? 20, w.signal);
        if (e.status !== "pending") return e;
      }
    },

    /**
     * Asks before running `fn`: allow runs it; escalate holds for people and, once approved, asks again
     * with the approval (and the same arguments, which it is bound to) and runs it; anything else throws
     * CallDenied. The decision is passed to `fn`. Once `fn` settles, its outcome (ok/error, the result's
     * digest, the duration) is queued for reporting and the result returned at once; call flush() before
     * ending the lease when a receipt written right after the run must list every outcome.
     */
    async guard<T>(req: DecisionRequest, fn: (d: Decision) => Promise<T>, w: GuardOptions<T> = {}): Promise<T> {
      let d = await client.decide(req);
      if (d.decision === "escalate" && d.escalationId) {
        const e = await client.escalateAndWait(d.escalationId, w);
        if (e.status !== "approved" || !e.approvalId) {
          const why = e.approvals.filter((a) => a.verdict === "deny").map((a) => `${a.by}: ${a.reason}`).join("; ");
          throw new CallDenied([{ code: `escalation_${e.status}`, message: `the step-up request was ${e.status}${why ? ` (${why})` : ""}` }], d.decisionId);
        }
        d = await client.decide({ ...req, approvalId: e.approvalId });
      }
      if (d.decision !== "allow") throw new CallDenied(d.reasons, d.decisionId);
      const allowed = d;
      const started = performance.now();
      // Reported once fn settles, without holding the result back (see flush()); a report that fails goes to onOutcomeError.
      const report = (o: () => OutcomeReport) => {
        const durationMs = Math.round((performance.now() - started) * 100) / 100;
        return queueOutcome(() =>
          client.reportOutcome(allowed.decisionId, { ...o(), durationMs }).then(
            () => {},
            (err) => w.onOutcomeError?.(err),
          ),
        );
      };
      let result: T;
      try {
        result = await fn(allowed);
      } catch (err) {
        // Only the error's class: its message may carry what the call touched, and outcomes are audited.
        await report(() => ({ status: "error", summary: `threw ${(err as Error)?.name ?? "an error"}` }));
        throw err;
      }
      const judged = w.judge?.(result) ?? { status: "ok" as const };
      await report(() => ({ status: judged.status, resultDigest: resultDigest(result), ...(judged.summary ? { summary: judged.summary } : {}) }));
      return result;
    },
  };
  return client;
}
export type LanyardClient = ReturnType<typeof createLanyardClient>;
