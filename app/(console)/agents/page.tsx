import Link from "next/link";
import { AgentFilters } from "./_components/agent-filters";
import { AgentTable } from "./_components/agent-table";
import { LinkButton } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Forbidden } from "@/components/ui/forbidden";
import { PageHeader } from "@/components/ui/page-header";
import { listAgents } from "@/lib/agents/queries";
import { AgentListQuery } from "@/lib/agents/schemas";
import { pageAccess } from "@/lib/auth/page-guard";
import { can } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { firstParams, type SearchParams } from "@/lib/api/search-params";

export const metadata = { title: "Agents" };

export default async function AgentsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const access = await pageAccess("agents.read", "/agents");
  if (!access.allowed) return <Forbidden permission={access.permission} role={access.actor.role} />;
  const parsed = AgentListQuery.safeParse(firstParams(await searchParams));
  const query = parsed.success ? parsed.data : {};
  const [agents, all] = await Promise.all([listAgents(db(), query), listAgents(db(), {})]);
  const environments = [...new Set(all.flatMap((a) => a.environments))].sort();
  const filtered = Boolean(query.q || query.status || query.environment || query.flag);
  const manage = can(access.actor, "agents.manage");

  return (
    <div>
      <PageHeader
        title="Agents"
        description="Every registered agent identity: who owns it, where it may run, and the most any lease may grant it."
        actions={
          manage ? (
            <div className="flex gap-2">
              <LinkButton href="/agents/review" variant="secondary">
                Access review
              </LinkButton>
              <LinkButton href="/agents/new">New agent</LinkButton>
            </div>
          ) : undefined
        }
      />
      <AgentFilters query={query} environments={environments} />
      {!parsed.success && (
        <p role="alert" className="mb-3 text-sm text-amber-800">
          Some filters in the address were not understood and are ignored.
        </p>
      )}
      <p className="mb-2 text-sm text-slate-600" aria-live="polite" data-testid="agents-count">
        {agents.length} {agents.length === 1 ? "agent" : "agents"}
        {filtered ? ` matching (of ${all.length})` : ""}
      </p>
      {agents.length ? (
        <AgentTable agents={agents} />
      ) : filtered ? (
        <EmptyState title="No agent matches these filters">
          <Link href="/agents" className="text-indigo-700 underline">
            Clear the filters
          </Link>{" "}
          to see all {all.length}.
        </EmptyState>
      ) : (
        <EmptyState title="No agents registered yet">
          {manage ? (
            <>
              <Link href="/agents/new" className="text-indigo-700 underline">
                Register the first agent
              </Link>{" "}
              with an owner, environments and a ceiling.
            </>
          ) : (
            "Ask an admin to register the agents your team runs."
          )}
        </EmptyState>
      )}
    </div>
  );
}
