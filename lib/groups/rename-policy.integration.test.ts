// Policies name groups by name (Group::"contractors"): renaming a group the live policy names would make
// its forbids silently stop applying to the members (an allow where the text says forbid). The rename is
// refused until the policy changes. Test files share the database and the one live policy: another file
// may publish its own set in between, so publish and try again (as lib/policy/groups.integration.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { stopListening } from "@/lib/events/bus";
import { createGroup, policiesNamingGroup, updateGroup } from "@/lib/groups/groups";
import { publishPolicy } from "@/lib/policy/store";
import { forgetToolCatalog } from "@/lib/tools/catalog";
import { seedCatalog } from "@/prisma/seed";
import { seedAgent, seedPerson } from "@/test/factories";
import { takeTurnsPublishingPolicies } from "@/test/policy-lock";

takeTurnsPublishingPolicies();

beforeAll(async () => {
  await seedCatalog(db());
  forgetToolCatalog();
});
afterAll(() => stopListening());
const uniq = () => Math.random().toString(36).slice(2, 10);

describe("renaming a group a policy names", () => {
  it("finds the policies naming a group in a scope, a condition or a set", () => {
    const text = `@id("a") forbid(principal, action, resource) when { context.delegator in Group :: "contractors" };
@id("b") forbid(principal, action, resource) unless { context.delegator in [Group::"x", Role::"admin"] };
@id("c") forbid(principal, action, resource) when { context.environment == "Group::\\"contractors\\"" };`;
    expect(policiesNamingGroup(text, "contractors")).toEqual(["a"]);
    expect(policiesNamingGroup(text, "x")).toEqual(["b"]);
    expect(policiesNamingGroup(text, "admin")).toEqual([]);
  });

  it("is refused (409, naming the policy) while the live version names it; a group no policy names renames", async () => {
    const admin = await seedPerson(db(), { role: "admin" });
    const agent = await seedAgent(db());
    const name = `contractors-${uniq()}`;
    const group = await createGroup(db(), admin, { name });
    const free = await createGroup(db(), admin, { name: `free-${uniq()}` });
    const text = `@id("no-billing-for-contractors") forbid(principal in Agent::"${agent.id}", action == Action::"repo.commit", resource) when { context.delegator in Group::"${name}" };`;
    let refused: unknown;
    for (let i = 0; i < 5 && !refused; i++) {
      await publishPolicy(db(), admin, { text, message: "rename test" });
      refused = await updateGroup(db(), admin, group.id, { name: `${name}-renamed` }).then(
        async (g) => {
          // Renamed: only because another file's publish replaced ours in between. Put the name back and retry.
          const live = await db().policyVersion.findFirst({ orderBy: { version: "desc" }, select: { text: true } });
          expect(live!.text).not.toContain(name);
          await updateGroup(db(), admin, g.id, { name });
          return undefined;
        },
        (e: unknown) => e,
      );
    }
    expect(refused).toMatchObject({ code: "conflict" });
    expect(String((refused as Error).message)).toMatch(/no-billing-for-contractors/);
    expect((await db().group.findUniqueOrThrow({ where: { id: group.id } })).name).toBe(name);
    expect((await updateGroup(db(), admin, free.id, { name: `${free.name}-2` })).name).toBe(`${free.name}-2`);
  }, 60_000);
});
