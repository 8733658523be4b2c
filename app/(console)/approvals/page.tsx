import { redirect } from "next/navigation";
import { ApprovalQueue } from "./_components/approval-queue";
import { AssignedNotifier } from "./_components/assigned-notifier";
import { ApprovalRules, ApprovalTabs } from "./_components/approval-tabs";
import { Forbidden } from "@/components/ui/forbidden";
import { PageHeader } from "@/components/ui/page-header";
import { firstParams, type SearchParams } from "@/lib/api/search-params";
import { pageAccess } from "@/lib/auth/page-guard";
import { can } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { listHistory } from "@/lib/escalations/history";
import { listQueue } from "@/lib/escalations/queue";

export const metadata = { title: "Approvals" };
export const dynamic = "force-dynamic";

export default async function ApprovalsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const access = await pageAccess("approvals.read", "/approvals");
  if (!access.allowed) return <Forbidden permission={access.permission} role={access.actor.role} />;
  const { escalation } = firstParams(await searchParams);
  const pending = await listQueue(db(), { status: "pending", limit: 200 }, access.actor);
  let missing: string | null = null;
  if (escalation && !pending.some((i) => i.id === escalation)) {
    // A link to a request that was decided meanwhile (a webhook link, say) opens it in the history.
    const decided = await listHistory(db(), { limit: 200 });
    if (decided.some((i) => i.id === escalation)) redirect(`/approvals/history?escalation=${encodeURIComponent(escalation)}`);
    missing = escalation;
  }
  const viewer = { id: access.actor.id, email: access.actor.email, canDecide: can(access.actor, "approvals.decide") };
  return (
    <div>
      <PageHeader
        title="Approvals"
        description={
          // On a phone the request needs the room; the queue explains itself.
          <span className="max-lg:hidden">
            {viewer.canDecide
              ? "Requests from agents that wait for a person. Read what each one asks for and what the agent already did, then approve or deny with a reason."
              : "Requests from agents that wait for a person with the approver role."}
          </span>
        }
      />
      <ApprovalTabs active="queue" initialPending={pending} />
      <ApprovalRules />
      {viewer.canDecide && <AssignedNotifier initialItems={pending} />}
      {missing && (
        <p role="alert" data-testid="escalation-missing" className="mb-3 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          Request <span className="font-mono">{missing}</span> is neither waiting nor in the recent history.
        </p>
      )}
      <ApprovalQueue initialItems={pending} initialSelectedId={missing ? null : (escalation ?? null)} viewer={viewer} />
    </div>
  );
}
