import type { Db } from "@/lib/db";

export type ToolInfo = { name: string; risk: string; readOnly: boolean; alwaysStepUp: boolean; requiredApprovals: number | null };

// The catalog is read on every decision, so it is held in memory briefly. An edit clears this
// instance's copy at once and reaches other instances within TTL_MS.
const TTL_MS = 5_000;
let cached: { at: number; tools: Map<string, ToolInfo> } | undefined;
let loading: Promise<Map<string, ToolInfo>> | undefined;

export async function toolCatalog(db: Db): Promise<Map<string, ToolInfo>> {
  if (cached && Date.now() - cached.at < TTL_MS) return cached.tools;
  loading ??= db.tool
    .findMany()
    .then((rows) => {
      const tools = new Map(rows.map((t) => [t.name, t]));
      cached = { at: Date.now(), tools };
      return tools;
    })
    .finally(() => (loading = undefined));
  return loading;
}

export function forgetToolCatalog(): void {
  cached = undefined;
}
