import { z } from "zod";
import { Email, IdOf } from "@/lib/schemas/common";
import { ROLES } from "@/lib/auth/permissions";

export const Role = z.enum(ROLES);
export const PersonCreate = z.strictObject({
  email: Email,
  name: z.string().min(1).max(200),
  role: Role,
  password: z.string().min(12, "at least 12 characters").max(1024).optional(),
});
export type PersonCreate = z.infer<typeof PersonCreate>;
export const PersonPatch = z
  .strictObject({ name: z.string().min(1).max(200), role: Role, status: z.enum(["active", "disabled"]), password: z.string().min(12).max(1024) })
  .partial()
  .refine((v) => Object.keys(v).length > 0, "nothing to change");
export type PersonPatch = z.infer<typeof PersonPatch>;
export const PersonParams = z.object({ id: IdOf("usr") });
export const PersonView = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.string(),
  status: z.string(),
  lastLoginAt: z.string().nullable(),
  createdAt: z.string(),
  groups: z.array(z.object({ id: z.string(), name: z.string(), source: z.string() })).optional().describe("in the list: the groups they belong to (source local or sso)"),
});
