import { z } from "zod";

export const IdOf = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[a-z0-9]{1,40}$`), `must be a ${prefix}_ id`);
export const ToolName = z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, "must be a system.action tool name").max(100);
export const Environment = z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, "must be a lowercase environment name");
export const Email = z.email().max(320).transform((s) => s.toLowerCase());
export const Limit = z.coerce.number().int().min(1).max(500).default(50);
export const Cursor = z.string().max(200).optional();
export const Risk = z.enum(["low", "medium", "high", "critical"]);
export type Risk = z.infer<typeof Risk>;
export const Iso = z.string().describe("ISO-8601 UTC time");
