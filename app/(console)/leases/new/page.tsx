import { LeaseForm } from "../_components/lease-form";
import { Forbidden } from "@/components/ui/forbidden";
import { PageHeader } from "@/components/ui/page-header";
import { listAgents } from "@/lib/agents/queries";
import { firstParams, type SearchParams } from "@/lib/api/search-params";
import { pageAccess } from "@/lib/auth/page-guard";
import { db } from "@/lib/db";
import { delegableFor } from "@/lib/entitlements/delegable";
import { listTools } from "@/lib/tools/tools";

export const metadata = { title: "Issue lease" };

export default async function NewLeasePage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const access = await pageAccess("leases.issue", "/leases/new");
  if (!access.allowed) return <Forbidden permission={access.permission} role={access.actor.role} />;
  const { agentId } = firstParams(await searchParams);
  const [agents, tools, delegable] = await Promise.all([listAgents(db(), { status: "active" }), listTools(db()), delegableFor(db(), access.actor.id)]);
  const options = agents.map(({ id, name, environments, ceiling }) => ({ id, name, environments, ceiling }));
  return (
    <div>
      <PageHeader title="Issue lease" description="Give one agent run exactly what its task needs, for as long as it needs it. Everything not granted stays denied." />
      {options.length ? (
        <LeaseForm agents={options} tools={tools} isAdmin={access.actor.role === "admin"} initialAgentId={agentId} delegable={delegable} />
      ) : (
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-6 text-sm text-slate-700">No active agent can receive a lease. An admin can register or reactivate one on the Agents page.</p>
      )}
    </div>
  );
}
