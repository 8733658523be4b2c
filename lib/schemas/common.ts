import { z } from "zod";
import { badString } from "@/lib/schemas/text";

export const IdOf = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[a-z0-9]{1,40}$`), `must be a ${prefix}_ id`);
export const ToolName = z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, "must be a system.action tool name").max(100);
export const Environment = z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, "must be a lowercase environment name");
export const Email = z.email().max(320).transform((s) => s.toLowerCase());
export const Limit = z.coerce.number().int().min(1).max(500).default(50);
export const Cursor = z.string().max(200).optional();
export const Risk = z.enum(["low", "medium", "high", "critical"]);
export type Risk = z.infer<typeof Risk>;
export const Iso = z.string().describe("ISO-8601 UTC time");
/** Text PostgreSQL can hold: no NUL, no lone surrogate (withApi refuses those for the API; pages parse with this). */
export const Text = (max: number) => z.string().max(max).refine((s) => badString(s) === null, "must not contain NUL or a lone surrogate");

const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(10000, 0, 1);
const saneTime = (s: string) => {
  const t = Date.parse(s);
  return t >= EARLIEST && t < LATEST;
};
/** An ISO-8601 time with an offset, in the years 1970–9999 (year 0 or ±271821 would pass the format but not PostgreSQL). */
export const IsoTime = z.iso.datetime({ offset: true }).refine(saneTime, "must be a time in the years 1970–9999");
/** An ISO-8601 calendar date, in the years 1970–9999. */
export const IsoDate = z.iso.date().refine(saneTime, "must be a date in the years 1970–9999");

const MAX_BIGINT = 9223372036854775807n;
/** A bigint sequence number (an audit seq, a keyset cursor) as decimal text, within PostgreSQL's bigint. */
export const Seq = z
  .string()
  .regex(/^\d{1,19}$/, "must be a seq (digits)")
  // zod runs this even when the regex failed: only digits reach BigInt.
  .refine((s) => !/^\d+$/.test(s) || BigInt(s) <= MAX_BIGINT, "must be at most 9223372036854775807");

/** Longest lease any request may ask for (the agent's and the org's ceilings are lower): bounds the date arithmetic. */
export const MAX_EXPIRES_IN = 366 * 24 * 3600;
/** Largest call budget any request may ask for: the budget columns are 32-bit integers. */
export const MAX_TOOL_CALLS = 2_147_483_647;
