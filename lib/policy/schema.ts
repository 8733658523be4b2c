import { createHash } from "node:crypto";
import type { SchemaJson, TypeOfAttribute } from "@cedar-policy/cedar-wasm/nodejs";
import { Prisma } from "@/lib/generated/prisma/client";
import type { Db, Tx } from "@/lib/db";
import type { ToolInfo } from "@/lib/tools/catalog";

/** What the schema is generated from: the tool catalog and the resource types Lanyard has seen. */
export type SchemaData = { tools: Pick<ToolInfo, "name" | "risk" | "readOnly">[]; resourceTypes: string[] };

export type GeneratedSchema = {
  json: SchemaJson<string>;
  /** content hash: the name it is preparsed under */
  hash: string;
  tools: Set<string>;
  /** action groups each tool is in (risk:<risk>, read-only | write) */
  groupsOf: Map<string, string[]>;
  /** resource types that have an entity type of their own (others are `Resource`) */
  resourceTypes: Set<string>;
};

/** The entity type of a resource whose type has none of its own, and of a call without a resource. */
export const GENERIC_RESOURCE = "Resource";
export const RISKS = ["low", "medium", "high", "critical"] as const;

// Names a resource type cannot take as its entity type: Lanyard's own and Cedar's reserved words.
const RESERVED = new Set(["Person", "Role", "Group", "Agent", "Run", "Resource", "Action", "CallContext", "Lease", "Time",
  "permit", "forbid", "when", "unless", "in", "has", "like", "is", "if", "then", "else", "true", "false", "principal", "action", "resource", "context"]);
const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,49}$/;

export const hasOwnEntityType = (type: string) => IDENT.test(type) && !RESERVED.has(type) && !type.startsWith("__");

const str = { type: "String" } as const;
const long = { type: "Long" } as const;
const bool = { type: "Boolean" } as const;
const entity = (name: string) => ({ type: "Entity", name }) as const;
const record = (attributes: Record<string, TypeOfAttribute<string>>) => ({ type: "Record", attributes }) as const;

/**
 * The Cedar schema of a tool call, generated from Lanyard's data:
 * - principal `Run` (in its `Agent`); the delegating `Person`, in `Role::"<role>"` and in each of its
 *   groups, `Group::"<name>"`: `context.delegator in Role::"admin"`, `context.delegator in Group::"release-managers"`;
 * - one action per catalog tool, in the action groups `risk:<risk>` and `read-only` or `write`;
 * - one entity type per resource type (attributes `id`, `type`; the call's `attributes` as string tags),
 *   `Resource` for any other type and for a call without one;
 * - the context: environment, delegator, lease (purpose, taskRef…), time, remaining budget, whether an
 *   approval is presented, the arguments digest.
 */
export function generateSchema(data: SchemaData): GeneratedSchema {
  const resourceTypes = [...new Set(data.resourceTypes.filter(hasOwnEntityType))].sort();
  const resourceEntities = [...resourceTypes, GENERIC_RESOURCE];
  const resourceShape = { shape: record({ id: str, type: str }), tags: str };
  const entityTypes: SchemaJson<string>[string]["entityTypes"] = {
    Role: {},
    Group: {},
    Person: { memberOfTypes: ["Role", "Group"], shape: record({ email: str, role: str, status: str }) },
    Agent: { shape: record({ name: str, status: str, environments: { type: "Set", element: str } }) },
    Run: { memberOfTypes: ["Agent"], shape: record({ agent: entity("Agent") }) },
    ...Object.fromEntries(resourceEntities.map((t) => [t, resourceShape])),
  };
  const context = record({
    environment: str,
    delegator: entity("Person"),
    lease: record({ id: str, purpose: str, taskRef: str, environment: str, depth: long }),
    // Plain numbers, not a datetime extension value: one of those in the context tripled the cost of every Cedar call.
    time: record({ epochSeconds: long, hourUtc: long, weekdayUtc: long, date: str }),
    remainingToolCalls: long,
    approved: bool,
    argumentsDigest: str,
  });
  const tools = [...data.tools].sort((a, b) => a.name.localeCompare(b.name));
  const groupsOf = new Map(tools.map((t) => [t.name, [`risk:${t.risk}`, t.readOnly ? "read-only" : "write"]]));
  const actions: SchemaJson<string>[string]["actions"] = {
    ...Object.fromEntries([...RISKS.map((r) => `risk:${r}`), "read-only", "write"].map((g) => [g, {}])),
    ...Object.fromEntries(
      tools.map((t) => [
        t.name,
        {
          memberOf: groupsOf.get(t.name)!.filter((g) => g !== `risk:${t.risk}` || (RISKS as readonly string[]).includes(t.risk)).map((id) => ({ id })),
          appliesTo: { principalTypes: ["Run"], resourceTypes: resourceEntities, context: { type: "CallContext" } },
        },
      ]),
    ),
  };
  const json: SchemaJson<string> = { "": { commonTypes: { CallContext: context }, entityTypes, actions } };
  const hash = createHash("sha256").update(JSON.stringify(json)).digest("hex").slice(0, 32);
  return { json, hash, tools: new Set(tools.map((t) => t.name)), groupsOf, resourceTypes: new Set(resourceTypes) };
}

/**
 * The data the schema is generated from: the catalog, and the resource types that leases grant or
 * connections map. Read from the tables, not the decision path's cached catalog: compiling is rare,
 * and a tool added a moment ago must be in the schema a publish validates against.
 */
export async function loadSchemaData(db: Db | Tx): Promise<SchemaData> {
  const tools = await db.tool.findMany({ select: { name: true, risk: true, readOnly: true } });
  const rows = await db.$queryRaw<{ type: string }[]>(Prisma.sql`
    SELECT DISTINCT g -> 'resource' ->> 'type' AS "type" FROM "leases", jsonb_array_elements("grants") g WHERE g -> 'resource' ->> 'type' IS NOT NULL
    UNION
    SELECT DISTINCT m -> 'resource' ->> 'type' FROM "connections", jsonb_array_elements("tools") m WHERE m -> 'resource' ->> 'type' IS NOT NULL`);
  return { tools, resourceTypes: rows.map((r) => r.type) };
}

/**
 * The data plus the resource types a published text names (`resource is T`, `T::"id"`): a type whose
 * only source went away (a connection deleted) must not make the version in force stop validating,
 * which would deny every call it could touch. Only for compiling a published version: a draft is
 * validated against the data alone, so a misspelt type is an error there.
 */
export function withTypesNamedIn(text: string, data: SchemaData): SchemaData {
  const named = [...text.matchAll(/\bis\s+([A-Za-z_][A-Za-z0-9_]*)|\b([A-Za-z_][A-Za-z0-9_]*)::"/g)].map((m) => (m[1] ?? m[2])!);
  return { ...data, resourceTypes: [...data.resourceTypes, ...named.filter((t) => hasOwnEntityType(t))] };
}
