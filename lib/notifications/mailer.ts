import nodemailer, { type Transporter } from "nodemailer";
import { env } from "@/lib/env";

/** Where mail goes: the SMTP server's URL (credentials inside it stay here, never logged) and the From address. */
export type MailConfig = { smtpUrl: string; from: string };

export type MailMessage = { to: string | string[]; subject: string; text: string; html?: string };

/** The configured SMTP server, or null when LANYARD_SMTP_URL is unset (mail is then skipped, not failed). */
export function mailConfig(): MailConfig | null {
  const e = env();
  return e.LANYARD_SMTP_URL ? { smtpUrl: e.LANYARD_SMTP_URL, from: e.LANYARD_MAIL_FROM } : null;
}

/** The console's public address, for links in mails. */
export function publicUrl(): string {
  const e = env();
  return (e.LANYARD_PUBLIC_URL ?? e.NEXTAUTH_URL ?? "http://localhost:3000").replace(/\/$/, "");
}

// One pooled transport per server: a burst of notifications reuses connections instead of a handshake each.
const transports = new Map<string, Transporter>();

function transport(smtpUrl: string): Transporter {
  let t = transports.get(smtpUrl);
  if (!t) {
    const url = new URL(smtpUrl);
    t = nodemailer.createTransport({
      pool: true,
      maxConnections: 2,
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port: url.port ? Number(url.port) : url.protocol === "smtps:" ? 465 : 587,
      secure: url.protocol === "smtps:",
      auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
    transports.set(smtpUrl, t);
  }
  return t;
}

export class MailError extends Error {}

/**
 * Sends one mail and resolves with the server's message id once the server accepted it. Throws a
 * MailError whose message never includes the SMTP URL (it may carry a password); callers retry.
 */
export async function sendMail(message: MailMessage, config: MailConfig | null = mailConfig()): Promise<{ messageId: string }> {
  if (!config) throw new MailError("mail is not configured (LANYARD_SMTP_URL is unset)");
  try {
    const info = await transport(config.smtpUrl).sendMail({ from: config.from, ...message });
    return { messageId: String(info.messageId ?? "") };
  } catch (err) {
    const code = (err as { code?: unknown; responseCode?: unknown }) ?? {};
    const detail = [code.code, code.responseCode].filter((v) => v !== undefined).join(" ");
    throw new MailError(`the SMTP server did not accept the mail${detail ? ` (${detail})` : ""}`);
  }
}

/** Closes pooled connections (tests, shutdown). */
export function closeMailTransports(): void {
  for (const t of transports.values()) t.close();
  transports.clear();
}
