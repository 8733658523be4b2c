import type { MailMessage } from "@/lib/notifications/mailer";

export type MailEscalation = {
  id: string;
  kind: string;
  tool: string | null;
  resource: unknown;
  arguments: unknown;
  justification: string;
  requiredApprovals: number;
  expiresAt: Date;
  risk: string;
  agentName: string;
  purpose: string;
  environment: string;
  delegator: string | null;
};

// Keys and values that look like credentials are masked even though approvers see the arguments in the
// console: a mail leaves our systems, sits in mailboxes and is forwarded.
const SECRET_KEY = /pass(word|phrase)?|secret|token|api[-_]?key|authori[sz]ation|cookie|credential|private[-_]?key|session/i;
const SECRET_VALUE = /^(eyJ[\w-]+\.[\w-]+\.[\w-]*|lyd_[\w-]+|(sk|pk|rk)_(live|test)_[\w]+|gh[pousr]_[\w]{20,}|xox[abpr]-[\w-]+|AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*)$|^Bearer\s/;

function mask(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return SECRET_VALUE.test(value.trim()) ? "[hidden]" : value.length > 200 ? `${value.slice(0, 200)}…` : value;
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => mask(v, depth + 1));
  return Object.fromEntries(Object.entries(value).slice(0, 30).map(([k, v]) => [k, SECRET_KEY.test(k) ? "[hidden]" : mask(v, depth + 1)]));
}

/** The call's arguments for a mail: credential-like keys and values masked, long values cut, at most ~600 characters. */
export function argumentsSummary(args: unknown): string | null {
  if (args === null || args === undefined) return null;
  const text = JSON.stringify(mask(args));
  return text.length > 600 ? `${text.slice(0, 600)}…` : text;
}

export function timeLeft(expiresAt: Date, at: Date): string {
  const ms = expiresAt.getTime() - at.getTime();
  if (ms <= 0) return "expired";
  const min = Math.floor(ms / 60_000);
  if (min < 1) return `${Math.ceil(ms / 1000)} s`;
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

export const escalationLink = (base: string, id: string) => `${base}/approvals?escalation=${encodeURIComponent(id)}`;

function resourceText(r: unknown): string | null {
  const o = r as { type?: unknown; id?: unknown } | null;
  return o && typeof o.type === "string" && typeof o.id === "string" ? `${o.type} ${o.id}` : null;
}

const what = (e: MailEscalation) => (e.kind === "step_up" ? e.tool ?? "a call" : e.kind === "more_permission" ? `more permission: ${e.tool ?? ""}` : e.kind === "extension" ? "a lease extension" : "a lease");

/** The mail telling an approver a request waits for them: the exact call, why, time left and a link. */
export function assignedMail(e: MailEscalation, base: string, at: Date): Omit<MailMessage, "to"> {
  const link = escalationLink(base, e.id);
  const args = argumentsSummary(e.arguments);
  const resource = resourceText(e.resource);
  const lines = [
    `${e.agentName} asks for ${what(e)}${resource ? ` on ${resource}` : ""} (${e.risk} risk, ${e.environment}).`,
    "",
    `Tool:        ${e.tool ?? "-"}`,
    `Resource:    ${resource ?? "-"}`,
    ...(args ? [`Arguments:   ${args}`] : []),
    `Why:         ${e.justification || "-"}`,
    `Lease for:   ${e.purpose}${e.delegator ? ` (delegated by ${e.delegator})` : ""}`,
    `Approvals:   ${e.requiredApprovals} needed`,
    `Time left:   ${timeLeft(e.expiresAt, at)} (until ${e.expiresAt.toISOString()})`,
    "",
    `Open it: ${link}`,
  ];
  return { subject: `[Lanyard] ${e.risk === "critical" || e.risk === "high" ? `${e.risk.toUpperCase()}: ` : ""}${e.agentName} asks for ${what(e)}`, text: lines.join("\n") };
}

/** One mail listing every request assigned to the approver that is about to expire unanswered. */
export function digestMail(items: MailEscalation[], base: string, at: Date): Omit<MailMessage, "to"> {
  const lines = [`${items.length} request${items.length === 1 ? "" : "s"} will expire soon without an answer:`, ""];
  for (const e of items) {
    const resource = resourceText(e.resource);
    lines.push(`- ${e.agentName}: ${what(e)}${resource ? ` on ${resource}` : ""} (${e.risk}), ${timeLeft(e.expiresAt, at)} left`, `  ${escalationLink(base, e.id)}`);
  }
  return { subject: `[Lanyard] ${items.length} approval${items.length === 1 ? "" : "s"} about to expire`, text: lines.join("\n") };
}
