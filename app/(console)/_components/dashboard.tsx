"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo, useState } from "react";
import { bucketDecisions, DecisionsChart, DeniedToolsChart, DriftChart, ExposureChart, type Range } from "./dashboard-charts";
import { TimeLeft } from "@/components/leases/time-left";
import { RiskBadge } from "@/components/ui/badge";
import { BudgetBar } from "@/components/ui/budget-bar";
import { Card } from "@/components/ui/card";
import { formatDuration } from "@/components/ui/time";
import { apiFetch } from "@/lib/api/client";
import type { Dashboard as DashboardData } from "@/lib/dashboard/queries";

const REFRESH_MS = 5_000;

function CardLink({ href, children }: { href: string; children: React.ReactNode }) {
  return (
    <Link href={href} className="text-xs font-medium whitespace-nowrap text-indigo-700 hover:underline">
      {children} →
    </Link>
  );
}

function Empty({ children }: { children: React.ReactNode }) {
  return (
    <div className="flex min-h-24 items-center justify-center rounded-md border border-dashed border-slate-300 px-4 py-6 text-center text-sm text-slate-600">
      <p>{children}</p>
    </div>
  );
}

const DemoHint = () => (
  <>
    run <code className="rounded bg-slate-100 px-1 font-mono text-xs">npm run demo:agent</code>
  </>
);

export function Dashboard({ initialData }: { initialData: DashboardData }) {
  const query = useQuery({
    queryKey: ["dashboard"],
    queryFn: () => apiFetch<DashboardData>("/api/v1/dashboard"),
    initialData,
    refetchInterval: REFRESH_MS,
    refetchIntervalInBackground: false,
  });
  const d = query.data;
  const lastHourHasData = useMemo(() => {
    const since = new Date(d.generatedAt).getTime() - 3600_000;
    return d.decisionsPerMinute.some((r) => new Date(r.minute).getTime() >= since);
  }, [d]);
  const [chosen, setChosen] = useState<Range | null>(null);
  const range: Range = chosen ?? (lastHourHasData || !d.decisionsPerMinute.length ? "1h" : "24h");
  const buckets = useMemo(() => bucketDecisions(d.decisionsPerMinute, d.generatedAt, range), [d, range]);
  const total = buckets.reduce((s, b) => s + b.allow + b.deny + b.escalate, 0);
  const e = d.escalations;

  return (
    <div className="space-y-6" data-testid="dashboard" data-generated-at={d.generatedAt}>
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Dashboard</h1>
          <p className="mt-1 text-sm text-slate-600">Every agent&apos;s standing, at a glance. Refreshes every 5 seconds.</p>
        </div>
        <p className="text-xs text-slate-500" aria-live="polite" data-testid="dashboard-updated">
          {query.isError ? <span className="text-rose-700">Could not refresh: {query.error.message}</span> : <>Updated {d.generatedAt.slice(11, 19)} UTC</>}
        </p>
      </div>

      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <Stat label="Pending approvals" testId="stat-pending" value={e.pending} href="/approvals" hint={e.pending ? `${e.pending === 1 ? "request" : "requests"} from ${e.pendingPeople} ${e.pendingPeople === 1 ? "person" : "people"} waiting for a decision` : "the queue is empty"} tone={e.pending ? "amber" : undefined} />
        <Stat
          label="Standing exposure"
          testId="stat-exposure"
          value={d.standingExposure.toLocaleString("en-US")}
          href="/leases?status=active"
          hint={`lease-minutes × risk weight across ${d.activeLeases.length} active ${d.activeLeases.length === 1 ? "lease" : "leases"}`}
        />
        <Stat
          label="Time to decision"
          testId="stat-escalation-times"
          value={e.p50Seconds === null ? "—" : formatDuration(e.p50Seconds)}
          href="/approvals/history"
          hint={e.p90Seconds === null ? "no escalation decided in 24 h" : `p50 · p90 ${formatDuration(e.p90Seconds)} · ${e.decided} decided in 24 h`}
        />
        <Stat label="Escalations expired" testId="stat-expired" value={e.expired} href="/approvals/history?status=expired" hint="unanswered in 24 h" tone={e.expired ? "red" : undefined} />
      </div>

      <div className="grid gap-6 lg:grid-cols-3">
        <Card
          className="lg:col-span-2"
          title={range === "1h" ? "Decisions per minute" : "Decisions per 15 minutes"}
          actions={
            <div className="flex items-center gap-3">
              <div role="group" aria-label="Time range" className="inline-flex rounded-md border border-slate-300 text-xs">
                {(["1h", "24h"] as const).map((r) => (
                  <button
                    key={r}
                    type="button"
                    aria-pressed={range === r}
                    onClick={() => setChosen(r)}
                    className={`px-2 py-1 first:rounded-l-md last:rounded-r-md ${range === r ? "bg-indigo-50 font-medium text-indigo-700" : "text-slate-600 hover:bg-slate-50"}`}
                  >
                    {r === "1h" ? "Last hour" : "Last 24 h"}
                  </button>
                ))}
              </div>
              <CardLink href="/audit?action=decision">Audit</CardLink>
            </div>
          }
        >
          <div data-testid="chart-decisions" data-total={total}>
            {total ? (
              <DecisionsChart data={buckets} range={range} />
            ) : d.decisionsPerMinute.length ? (
              <Empty>No decisions in the last hour. Switch to the last 24 h, or <DemoHint /> to make some.</Empty>
            ) : (
              <Empty>
                No decisions yet — <DemoHint /> to drive an agent through a run.
              </Empty>
            )}
          </div>
        </Card>

        <Card title="Top denied tools" actions={<CardLink href="/audit?action=decision&outcome=deny">All denials</CardLink>}>
          <div data-testid="chart-denied" data-total={d.topDeniedTools.length}>
            {d.topDeniedTools.length ? (
              <DeniedToolsChart data={d.topDeniedTools} />
            ) : (
              <Empty>Nothing denied in 24 h. Denied calls show here with the tool that was refused.</Empty>
            )}
          </div>
        </Card>
      </div>

      <div className="grid gap-6 lg:grid-cols-3">
        <Card className="lg:col-span-2" title={`Active leases (${d.activeLeases.length})`} actions={<CardLink href="/leases?status=active">All active leases</CardLink>}>
          <div data-testid="active-leases">
            {d.activeLeases.length ? (
              <ul className="divide-y divide-slate-100">
                {d.activeLeases.slice(0, 8).map((l) => (
                  <li key={l.id} data-testid="active-lease" data-lease-id={l.id} className="flex flex-wrap items-center gap-x-4 gap-y-1 py-2 text-sm">
                    <div className="min-w-0 flex-1">
                      <Link href={`/leases/${l.id}`} className="font-mono text-xs text-indigo-700 hover:underline">
                        {l.agent}
                      </Link>
                      <p className="truncate text-xs text-slate-600">{l.purpose}</p>
                    </div>
                    <RiskBadge risk={l.risk} />
                    <div className="w-28">
                      <BudgetBar used={l.toolCallsUsed} max={l.maxToolCalls} />
                    </div>
                    <div className="w-24 text-right text-xs whitespace-nowrap">
                      <TimeLeft status="active" expiresAt={l.expiresAt} endedAt={null} testId="active-lease-time-left" />
                    </div>
                  </li>
                ))}
              </ul>
            ) : (
              <Empty>
                No lease is active: no agent holds any permission right now. <Link href="/leases/new" className="text-indigo-700 underline">Issue a lease</Link> or <DemoHint />.
              </Empty>
            )}
            {d.activeLeases.length > 8 && <p className="mt-2 text-xs text-slate-500">and {d.activeLeases.length - 8} more, soonest to expire first.</p>}
          </div>
        </Card>

        <Card title="Exposure by lease" actions={<CardLink href="/leases?status=active">Leases</CardLink>}>
          <div data-testid="chart-exposure">
            {d.activeLeases.length ? (
              <>
                <ExposureChart leases={d.activeLeases} />
                <p className="mt-1 text-xs text-slate-500">Minutes left × weight of the riskiest granted tool (low 1, medium 2, high 5, critical 10).</p>
              </>
            ) : (
              <Empty>Zero standing exposure.</Empty>
            )}
          </div>
        </Card>
      </div>

      <Card title={`Intent drift per agent, 24 h (${d.driftPerAgent.total})`} actions={<CardLink href="/audit?action=decision">Audit</CardLink>}>
        <div data-testid="chart-drift" data-total={d.driftPerAgent.total}>
          {d.driftPerAgent.total ? (
            <DriftChart data={d.driftPerAgent} />
          ) : (
            <Empty>No call went off its lease&apos;s declared intent in 24 h. Leases with an intent flag such calls here, per agent.</Empty>
          )}
        </div>
      </Card>

      <div className="grid gap-6 md:grid-cols-2">
        <AgentList title="Dormant agents" testId="dormant-agents" href="/agents?flag=dormant" agents={d.dormantAgents} empty="Every agent has had a lease recently." hint="No lease for a long while: retire them if nobody needs them." />
        <AgentList title="Orphaned agents" testId="orphaned-agents" href="/agents?flag=orphaned" agents={d.orphanedAgents} empty="Every agent has an active owner." hint="Their owner left or was disabled: give each a new owner." />
      </div>
    </div>
  );
}

const STAT_TONES = { amber: "text-amber-700", red: "text-rose-700" } as const;

function Stat({ label, value, hint, href, testId, tone }: { label: string; value: React.ReactNode; hint: string; href: string; testId: string; tone?: keyof typeof STAT_TONES }) {
  return (
    <Link href={href} data-testid={testId} className="block rounded-lg border border-slate-200 bg-white p-4 shadow-xs hover:border-indigo-300 hover:bg-indigo-50/30">
      <div className="text-xs font-medium tracking-wide text-slate-500 uppercase">{label}</div>
      <div className={`mt-1 text-2xl font-semibold tabular-nums ${tone ? STAT_TONES[tone] : "text-slate-900"}`} data-testid={`${testId}-value`}>
        {value}
      </div>
      <div className="mt-0.5 text-xs text-slate-500">{hint}</div>
    </Link>
  );
}

function AgentList({ title, testId, href, agents, empty, hint }: { title: string; testId: string; href: string; agents: { id: string; name: string }[]; empty: string; hint: string }) {
  return (
    <Card title={`${title} (${agents.length})`} actions={<CardLink href={href}>Agents</CardLink>}>
      <div data-testid={testId}>
        {agents.length ? (
          <>
            <p className="mb-2 text-xs text-slate-500">{hint}</p>
            <ul className="flex flex-wrap gap-2">
              {agents.map((a) => (
                <li key={a.id}>
                  <Link href={`/agents/${a.id}`} className="inline-block rounded-md border border-slate-200 px-2 py-1 font-mono text-xs text-indigo-700 hover:bg-slate-50">
                    {a.name}
                  </Link>
                </li>
              ))}
            </ul>
          </>
        ) : (
          <p className="text-sm text-slate-600">{empty}</p>
        )}
      </div>
    </Card>
  );
}
