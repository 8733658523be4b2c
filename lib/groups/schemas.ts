import { z } from "zod";
import { IdOf, Text } from "@/lib/schemas/common";

/** What policies, entitlements and routing rules name: lowercase letters, digits, '.', '_', '-'. */
export const GroupName = z.string().regex(/^[a-z0-9._-]{1,64}$/, "must be 1–64 lowercase letters, digits, '.', '_' or '-'");
export const GroupCreate = z.strictObject({ name: GroupName, description: Text(500).optional() });
export type GroupCreate = z.infer<typeof GroupCreate>;
export const GroupPatch = z
  .strictObject({ name: GroupName, description: Text(500) })
  .partial()
  .refine((v) => Object.keys(v).length > 0, "nothing to change");
export type GroupPatch = z.infer<typeof GroupPatch>;
export const GroupParams = z.object({ id: IdOf("grp") });
export const GroupMemberParams = z.object({ id: IdOf("grp"), userId: IdOf("usr") });
export const GroupMemberView = z.object({ userId: z.string(), email: z.string(), name: z.string(), source: z.enum(["local", "sso"]) });
export const GroupView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  source: z.enum(["local", "sso"]).describe("sso: created from a sign-in's group claim"),
  members: z.array(GroupMemberView),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type GroupView = z.infer<typeof GroupView>;
