import Link from "next/link";
import { notFound } from "next/navigation";
import { AgentForm } from "../_components/agent-form";
import { AgentStatusActions } from "../_components/agent-status-actions";
import { LeaseTable } from "@/components/leases/lease-table";
import { Badge, RiskBadge, StatusBadge } from "@/components/ui/badge";
import { LinkButton } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Forbidden } from "@/components/ui/forbidden";
import { objectTitle } from "@/components/shell/object-title";
import { PageHeader } from "@/components/ui/page-header";
import { RelativeTime } from "@/components/ui/relative-time";
import { formatDuration, formatUtc } from "@/components/ui/time";
import { getAgent } from "@/lib/agents/queries";
import { AppError } from "@/lib/errors";
import { pageAccess } from "@/lib/auth/page-guard";
import { can } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { listLeases } from "@/lib/leases/queries";
import { listPeople } from "@/lib/people/people";
import { listTools } from "@/lib/tools/tools";

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return objectTitle("agents.read", "Agent", async () => `Agent ${(await getAgent(db(), id)).name}`);
}

async function findAgent(id: string) {
  try {
    return await getAgent(db(), id);
  } catch (err) {
    if (err instanceof AppError && err.code === "not_found") notFound();
    throw err;
  }
}

export default async function AgentPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const access = await pageAccess("agents.read", `/agents/${id}`);
  if (!access.allowed) return <Forbidden permission={access.permission} role={access.actor.role} />;
  const agent = await findAgent(id);
  const manage = can(access.actor, "agents.manage");
  const [tools, leases, people] = await Promise.all([listTools(db()), can(access.actor, "leases.read") ? listLeases(db(), { agentId: agent.id, limit: 20 }) : Promise.resolve([]), manage ? listPeople(db()) : Promise.resolve([])]);
  const risk = new Map(tools.map((t) => [t.name, t.risk]));
  const owners = people.filter((p) => p.status === "active" || p.id === agent.owner?.id).map(({ id: pid, name, email }) => ({ id: pid, name, email }));

  return (
    <div className="max-w-5xl space-y-6">
      <div>
        <Link href="/agents" className="text-sm text-indigo-700 hover:underline">
          ← All agents
        </Link>
      </div>
      <PageHeader
        title={<span className="font-mono">{agent.name}</span>}
        description={agent.description || "No description."}
        actions={agent.status === "active" && can(access.actor, "leases.issue") ? <LinkButton href={`/leases/new?agentId=${agent.id}`}>Issue lease</LinkButton> : undefined}
      >
        <div className="mt-2 flex flex-wrap gap-2">
          <StatusBadge status={agent.status} testId="agent-status" />
          {agent.dormant && <Badge tone="slate" testId="agent-flag-dormant">dormant</Badge>}
          {agent.orphaned && <Badge tone="red" testId="agent-flag-orphaned">orphaned</Badge>}
        </div>
      </PageHeader>

      <Card title="Details">
        <dl className="grid gap-x-6 gap-y-3 text-sm sm:grid-cols-3">
          <Item label="Owner">{agent.owner ? `${agent.owner.name} (${agent.owner.email})${agent.owner.status !== "active" ? ` · ${agent.owner.status}` : ""}` : "none"}</Item>
          <Item label="Environments">{agent.environments.join(", ")}</Item>
          <Item label="Last seen">
            <RelativeTime iso={agent.lastSeenAt} testId="agent-last-seen" />
          </Item>
          <Item label="Max lease">{formatDuration(agent.ceiling.maxExpiresIn)}</Item>
          <Item label="Max calls per lease">{agent.ceiling.maxToolCalls}</Item>
          <Item label="Intent drift">{agent.driftMode === "enforce" ? "enforce: off-intent calls wait for a person" : "advisory: off-intent calls are allowed and flagged"}</Item>
          <Item label="Last lease">
            <RelativeTime iso={agent.lastLeaseAt} />
          </Item>
          <Item label="Registered">{formatUtc(agent.createdAt)}</Item>
          <Item label="Id">
            <span className="font-mono text-xs">{agent.id}</span>
          </Item>
        </dl>
        <h3 className="mt-5 text-sm font-semibold">Ceiling tools ({agent.ceiling.tools.length})</h3>
        {agent.ceiling.tools.length ? (
          <ul className="mt-2 flex flex-wrap gap-2" data-testid="agent-ceiling-tools">
            {agent.ceiling.tools.map((t) => (
              <li key={t} className="flex items-center gap-1.5 rounded border border-slate-200 px-2 py-1">
                <span className="font-mono text-xs">{t}</span>
                <RiskBadge risk={risk.get(t) ?? "critical"} />
              </li>
            ))}
          </ul>
        ) : (
          <p className="mt-1 text-sm text-slate-600">No tools: no lease can grant this agent anything.</p>
        )}
      </Card>

      {manage && (
        <Card title="Status" testId="agent-status-card">
          <AgentStatusActions agent={agent} />
        </Card>
      )}

      <section aria-labelledby="agent-leases">
        <h2 id="agent-leases" className="mb-2 text-base font-semibold">
          Recent leases
        </h2>
        {leases.length ? (
          <LeaseTable leases={leases} agentNames={new Map([[agent.id, agent.name]])} label="Recent leases of this agent" />
        ) : (
          <EmptyState title="No leases yet">{agent.status === "active" ? "Issue one when a run of this agent needs permission." : "This agent cannot receive leases while it is not active."}</EmptyState>
        )}
      </section>

      {manage && agent.status !== "retired" && (
        <Card title="Edit agent">
          <AgentForm mode="edit" agent={agent} people={owners} tools={tools} />
        </Card>
      )}
    </div>
  );
}

function Item({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-medium tracking-wide text-slate-500 uppercase">{label}</dt>
      <dd className="mt-0.5">{children}</dd>
    </div>
  );
}
