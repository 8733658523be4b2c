import Link from "next/link";
import { LeaseTable } from "@/components/leases/lease-table";
import { EmptyState } from "@/components/ui/empty-state";
import { Forbidden } from "@/components/ui/forbidden";
import { PageHeader } from "@/components/ui/page-header";
import { listAgents } from "@/lib/agents/queries";
import { pageAccess } from "@/lib/auth/page-guard";
import { can } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { listLeases } from "@/lib/leases/queries";

export const metadata = { title: "Approvals" };

export default async function ApprovalsPage() {
  const access = await pageAccess("approvals.read", "/approvals");
  if (!access.allowed) return <Forbidden permission={access.permission} role={access.actor.role} />;
  const [pending, agents] = await Promise.all([listLeases(db(), { status: "pending_approval", limit: 200 }), listAgents(db(), {})]);
  const agentNames = new Map(agents.map((a) => [a.id, a.name]));
  return (
    <div>
      <PageHeader
        title="Approvals"
        description={
          can(access.actor, "leases.approve")
            ? "Leases waiting for a person. Open one to see exactly what it asks for, then approve or deny it with a reason."
            : "Leases waiting for a person with the approver role."
        }
      />
      <p className="mb-2 text-sm text-slate-600" data-testid="approvals-count">
        {pending.length} waiting
      </p>
      {pending.length ? (
        <LeaseTable leases={pending} agentNames={agentNames} label="Leases waiting for approval" />
      ) : (
        <EmptyState title="Nothing waits for approval">
          Leases that ask for more than their requester may delegate land here. <Link href="/leases" className="text-indigo-700 underline">See all leases</Link>.
        </EmptyState>
      )}
    </div>
  );
}
