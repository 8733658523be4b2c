"use client";
import { useRouter } from "next/navigation";
import { Bar, BarChart, CartesianGrid, Cell, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { Dashboard } from "@/lib/dashboard/queries";

export const OUTCOME_COLORS = { allow: "#10b981", escalate: "#f59e0b", deny: "#f43f5e" } as const;
const RISK_COLORS: Record<string, string> = { low: "#10b981", medium: "#0ea5e9", high: "#f59e0b", critical: "#f43f5e" };

export type Range = "1h" | "24h";
const RANGES: Record<Range, { span: number; bucket: number }> = { "1h": { span: 60, bucket: 1 }, "24h": { span: 24 * 60, bucket: 15 } };

type Bucket = { start: string; end: string; label: string; allow: number; deny: number; escalate: number };

/** Per-minute rows into evenly spaced buckets ending at the current minute, empty ones included, so time reads left to right. */
export function bucketDecisions(rows: Dashboard["decisionsPerMinute"], generatedAt: string, range: Range): Bucket[] {
  const { span, bucket } = RANGES[range];
  const step = bucket * 60_000;
  const endMinute = Math.floor(new Date(generatedAt).getTime() / 60_000) * 60_000 + 60_000;
  const first = Math.floor((endMinute - span * 60_000) / step) * step;
  const buckets: Bucket[] = [];
  for (let t = first; t < endMinute; t += step) {
    const start = new Date(t).toISOString();
    buckets.push({ start, end: new Date(t + step).toISOString(), label: start.slice(11, 16), allow: 0, deny: 0, escalate: 0 });
  }
  for (const r of rows) {
    const i = Math.floor((new Date(r.minute).getTime() - first) / step);
    const b = buckets[i];
    if (!b) continue;
    b.allow += r.allow;
    b.deny += r.deny;
    b.escalate += r.escalate;
  }
  return buckets;
}

export function DecisionsChart({ data, range }: { data: Bucket[]; range: Range }) {
  const router = useRouter();
  const open = (b: Bucket | undefined) => b && router.push(`/audit?action=decision&from=${encodeURIComponent(b.start)}&to=${encodeURIComponent(b.end)}`);
  return (
    <ResponsiveContainer width="100%" height={240}>
      <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -16 }} barCategoryGap={range === "1h" ? 2 : 1}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e2e8f0" />
        <XAxis dataKey="label" tick={{ fontSize: 11, fill: "#64748b" }} interval="preserveStartEnd" minTickGap={24} tickLine={false} />
        <YAxis allowDecimals={false} tick={{ fontSize: 11, fill: "#64748b" }} tickLine={false} axisLine={false} />
        <Tooltip
          cursor={{ fill: "#f1f5f9" }}
          labelFormatter={(label) => `${String(label)} UTC${range === "24h" ? " (15 min)" : ""}`}
          contentStyle={{ fontSize: 12, borderRadius: 6 }}
        />
        <Legend wrapperStyle={{ fontSize: 12 }} iconType="circle" iconSize={8} />
        {(["allow", "escalate", "deny"] as const).map((k) => (
          <Bar key={k} dataKey={k} name={k} stackId="d" fill={OUTCOME_COLORS[k]} isAnimationActive={false} cursor="pointer" onClick={(_, i) => open(data[i])} />
        ))}
      </BarChart>
    </ResponsiveContainer>
  );
}

export function DeniedToolsChart({ data }: { data: Dashboard["topDeniedTools"] }) {
  const router = useRouter();
  const href = (tool: string) => `/audit?tool=${encodeURIComponent(tool)}&outcome=deny`;
  return (
    <ResponsiveContainer width="100%" height={Math.max(80, data.length * 34 + 24)}>
      <BarChart data={data} layout="vertical" margin={{ top: 4, right: 40, bottom: 4, left: 8 }}>
        <XAxis type="number" allowDecimals={false} domain={[0, "dataMax"]} hide />
        <YAxis
          type="category"
          dataKey="tool"
          width={130}
          tickLine={false}
          axisLine={false}
          tick={({ x, y, payload }: { x: number | string; y: number | string; payload: { value: string } }) => (
            <a href={href(payload.value)} aria-label={`Denied calls of ${payload.value} in the audit log`}>
              <text x={Number(x) - 4} y={Number(y)} dy={4} textAnchor="end" fontSize={11} fontFamily="ui-monospace, monospace" fill="#4338ca" className="hover:underline">
                {payload.value}
              </text>
            </a>
          )}
        />
        <Tooltip cursor={{ fill: "#f1f5f9" }} contentStyle={{ fontSize: 12, borderRadius: 6 }} formatter={(v) => [String(v), "denied"]} />
        <Bar dataKey="n" name="denied" fill={OUTCOME_COLORS.deny} maxBarSize={22} radius={[0, 3, 3, 0]} isAnimationActive={false} cursor="pointer" label={{ position: "right", fontSize: 11, fill: "#475569" }} onClick={(_, i) => data[i] && router.push(href(data[i].tool))} />
      </BarChart>
    </ResponsiveContainer>
  );
}

export function ExposureChart({ leases }: { leases: Dashboard["activeLeases"] }) {
  const router = useRouter();
  const top = [...leases].sort((a, b) => b.exposure - a.exposure).slice(0, 8).map((l) => ({ ...l, label: `${l.agent} · ${l.id.slice(-6)}` }));
  return (
    <ResponsiveContainer width="100%" height={Math.max(100, top.length * 30 + 20)}>
      <BarChart data={top} layout="vertical" margin={{ top: 4, right: 40, bottom: 4, left: 8 }}>
        <XAxis type="number" domain={[0, "dataMax"]} hide />
        <YAxis type="category" dataKey="label" width={170} tick={{ fontSize: 11, fill: "#334155" }} tickLine={false} axisLine={false} />
        <Tooltip
          cursor={{ fill: "#f1f5f9" }}
          contentStyle={{ fontSize: 12, borderRadius: 6 }}
          formatter={(v, _n, item) => [`${String(v)} (${(item.payload as (typeof top)[number]).minutesLeft} min × ${(item.payload as (typeof top)[number]).risk})`, "exposure"]}
        />
        <Bar dataKey="exposure" maxBarSize={22} radius={[0, 3, 3, 0]} isAnimationActive={false} cursor="pointer" label={{ position: "right", fontSize: 11, fill: "#475569" }} onClick={(_, i) => top[i] && router.push(`/leases/${top[i].id}`)}>
          {top.map((l) => (
            <Cell key={l.id} fill={RISK_COLORS[l.risk] ?? RISK_COLORS.critical} />
          ))}
        </Bar>
      </BarChart>
    </ResponsiveContainer>
  );
}

const DRIFT_COLORS = ["#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#94a3b8"];

/** Off-intent decisions per agent and hour over 24 h (lib/dashboard/drift.ts); a point opens that agent's decisions in the audit log. */
export function DriftChart({ data }: { data: Dashboard["driftPerAgent"] }) {
  const router = useRouter();
  const rows = data.hours.map((h) => ({ ...h, label: String(h.hour).slice(11, 16) }));
  const open = (agentKey: string, i: number | undefined) => {
    const h = i === undefined ? undefined : data.hours[i];
    if (!h || agentKey === "other" || agentKey === "unknown") return;
    const from = String(h.hour);
    const to = new Date(new Date(from).getTime() + 3600_000).toISOString();
    router.push(`/audit?action=decision&agentId=${encodeURIComponent(agentKey)}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
  };
  return (
    <ResponsiveContainer width="100%" height={220}>
      <LineChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e2e8f0" />
        <XAxis dataKey="label" tick={{ fontSize: 11, fill: "#64748b" }} interval="preserveStartEnd" minTickGap={24} tickLine={false} />
        <YAxis allowDecimals={false} tick={{ fontSize: 11, fill: "#64748b" }} tickLine={false} axisLine={false} />
        <Tooltip labelFormatter={(label) => `${String(label)} UTC (hour)`} contentStyle={{ fontSize: 12, borderRadius: 6 }} />
        <Legend wrapperStyle={{ fontSize: 12 }} iconType="circle" iconSize={8} />
        {data.agents.map((a, i) => (
          <Line
            key={a.key}
            type="monotone"
            dataKey={a.key}
            name={`${a.name} (${a.total}${a.enforced ? `, ${a.enforced} held` : ""})`}
            stroke={DRIFT_COLORS[i % DRIFT_COLORS.length]}
            strokeWidth={2}
            dot={false}
            activeDot={{ r: 4, cursor: "pointer", onClick: (_: unknown, e: unknown) => open(a.key, (e as { index?: number }).index) }}
            isAnimationActive={false}
          />
        ))}
      </LineChart>
    </ResponsiveContainer>
  );
}
