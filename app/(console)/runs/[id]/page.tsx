import Link from "next/link";
import { notFound } from "next/navigation";
import { RunTimeline } from "../_components/run-timeline";
import { Forbidden } from "@/components/ui/forbidden";
import { objectTitle } from "@/components/shell/object-title";
import { PageHeader } from "@/components/ui/page-header";
import { formatUtc } from "@/components/ui/time";
import { listAgents } from "@/lib/agents/queries";
import { AppError } from "@/lib/errors";
import { pageAccess } from "@/lib/auth/page-guard";
import { db } from "@/lib/db";
import { canRevokeLease } from "@/lib/leases/rules";
import { getRunDetail } from "@/lib/runs/list";

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return objectTitle("runs.read", "Run", async () => {
    const { run, agent } = await getRunDetail(db(), id);
    return `Run ${run.id}${agent ? ` · ${agent.name}` : ""}`;
  });
}

async function findRun(id: string) {
  try {
    return await getRunDetail(db(), id);
  } catch (err) {
    if (err instanceof AppError && err.code === "not_found") notFound();
    throw err;
  }
}

export default async function RunPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const access = await pageAccess("runs.read", `/runs/${id}`);
  if (!access.allowed) return <Forbidden permission={access.permission} role={access.actor.role} />;
  const [detail, agents] = await Promise.all([findRun(id), listAgents(db(), {})]);
  const { run, agent, parentRun, lease, delegator } = detail;
  const actor = access.actor;
  const mayRevoke = lease !== null && canRevokeLease(actor, lease);

  return (
    <div className="max-w-5xl space-y-6">
      <Link href="/runs" className="text-sm text-indigo-700 hover:underline">
        ← All runs
      </Link>
      <PageHeader title={<span className="font-mono text-xl">{run.id}</span>} description={run.purpose}>
        <p className="mt-2 text-sm text-slate-600">
          <Link href={`/agents/${agent.id}`} className="font-mono text-indigo-700 hover:underline">
            {agent.name}
          </Link>
          {delegator ? ` · delegated by ${delegator.name} (${delegator.email})` : lease ? ` · requested by ${lease.requestedBy}` : ""} · started {formatUtc(run.createdAt)}
          {parentRun && (
            <>
              {" "}
              · subagent of{" "}
              <Link href={`/runs/${parentRun.id}`} className="font-mono text-indigo-700 hover:underline">
                {parentRun.id}
              </Link>{" "}
              ({parentRun.agentName})
            </>
          )}
        </p>
      </PageHeader>
      <RunTimeline runId={run.id} initialLease={lease} agentNames={Object.fromEntries(agents.map((a) => [a.id, a.name]))} mayRevoke={mayRevoke} />
    </div>
  );
}
