import { ApprovalHistory } from "../_components/approval-history";
import { ApprovalRules, ApprovalTabs } from "../_components/approval-tabs";
import { HistoryFilters } from "../_components/history-filters";
import { Forbidden } from "@/components/ui/forbidden";
import { PageHeader } from "@/components/ui/page-header";
import { IdOf } from "@/lib/schemas/common";
import { firstParams, type SearchParams } from "@/lib/api/search-params";
import { listAgents } from "@/lib/agents/queries";
import { pageAccess } from "@/lib/auth/page-guard";
import { can } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { DECIDED_STATUSES, listHistory } from "@/lib/escalations/history";
import { listQueue } from "@/lib/escalations/queue";
import { EscalationKind } from "@/lib/escalations/schemas";
import { z } from "zod";

export const metadata = { title: "Approval history" };
export const dynamic = "force-dynamic";

const HistoryQuery = z.object({
  status: z.enum(DECIDED_STATUSES).optional(),
  kind: EscalationKind.optional(),
  agentId: IdOf("agt").optional(),
  escalation: IdOf("esc").optional(),
});

export default async function ApprovalHistoryPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const access = await pageAccess("approvals.read", "/approvals/history");
  if (!access.allowed) return <Forbidden permission={access.permission} role={access.actor.role} />;
  const parsed = HistoryQuery.safeParse(firstParams(await searchParams));
  const query = parsed.success ? parsed.data : {};
  const [items, pending, agents] = await Promise.all([
    listHistory(db(), { status: query.status, kind: query.kind, agentId: query.agentId, limit: 200 }),
    listQueue(db(), { status: "pending", limit: 200 }),
    listAgents(db(), {}),
  ]);
  const viewer = { id: access.actor.id, email: access.actor.email, canDecide: can(access.actor, "approvals.decide") };
  const filtered = Boolean(query.status || query.kind || query.agentId);
  return (
    <div>
      <PageHeader title="Approvals" description="Every decided request: who decided, when, and why. Filters stay in the address, so a view can be shared." />
      <ApprovalTabs active="history" initialPending={pending} />
      <ApprovalRules />
      <HistoryFilters query={query} agents={agents.map((a) => ({ id: a.id, name: a.name }))} />
      {!parsed.success && (
        <p role="alert" className="mb-3 text-sm text-amber-800">
          Some filters in the address were not understood and are ignored.
        </p>
      )}
      <p className="mb-2 text-sm text-slate-600" data-testid="history-count" aria-live="polite">
        {items.length} decided {items.length === 1 ? "request" : "requests"}
        {filtered ? " matching" : ""}
      </p>
      <ApprovalHistory items={items} initialSelectedId={query.escalation ?? null} viewer={viewer} filtered={filtered} />
    </div>
  );
}
