import { ReviewRow } from "./_components/review-row";
import { EmptyState } from "@/components/ui/empty-state";
import { Forbidden } from "@/components/ui/forbidden";
import { PageHeader } from "@/components/ui/page-header";
import { pageAccess } from "@/lib/auth/page-guard";
import { db } from "@/lib/db";
import { accessReview } from "@/lib/review/queries";

export const metadata = { title: "Access review" };

/** Admin: which grants nobody uses, per agent, and one step to shrink a ceiling or retire an agent. */
export default async function AccessReviewPage() {
  const access = await pageAccess("agents.manage", "/agents/review");
  if (!access.allowed) return <Forbidden permission={access.permission} role={access.actor.role} />;
  const reviews = await accessReview(db());
  const agents = await db().agent.findMany({ where: { id: { in: reviews.map((r) => r.id) } }, select: { id: true, ceilingMaxExpiresIn: true, ceilingMaxToolCalls: true } });
  const limits = new Map(agents.map((a) => [a.id, { maxExpiresIn: a.ceilingMaxExpiresIn, maxToolCalls: a.ceilingMaxToolCalls }]));
  return (
    <div>
      <PageHeader
        title="Access review"
        description="Per agent: the ceiling tools no call has used in 30 or 90 days, live lease grants never used, and agents nobody active owns. Remove what is unused or retire an agent; every change is audited and re-checks the agent's live leases."
      />
      {reviews.length === 0 ? (
        <EmptyState title="No agents to review">Every agent is retired.</EmptyState>
      ) : (
        <ul className="space-y-4" data-testid="review-list">
          {reviews.map((r) => (
            <ReviewRow key={r.id} review={r} limits={limits.get(r.id)!} />
          ))}
        </ul>
      )}
    </div>
  );
}
