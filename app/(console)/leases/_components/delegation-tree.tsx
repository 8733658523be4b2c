import Link from "next/link";
import { StatusBadge } from "@/components/ui/badge";

type Node = { id: string; parentLeaseId: string | null; status: string; depth: number; purpose: string; toolCallsUsed: number; maxToolCalls: number; agent: { name: string } };

/** The lease family from its root, indented by depth; the lease being viewed is marked. */
export function DelegationTree({ tree, currentId }: { tree: Node[]; currentId: string }) {
  if (tree.length <= 1) return <p className="text-sm text-slate-600">No subagent leases: this lease has not delegated, and was not delegated from another.</p>;
  const children = new Map<string | null, Node[]>();
  for (const n of tree) children.set(n.parentLeaseId, [...(children.get(n.parentLeaseId) ?? []), n]);
  const ids = new Set(tree.map((n) => n.id));
  const roots = tree.filter((n) => !n.parentLeaseId || !ids.has(n.parentLeaseId));
  const render = (nodes: Node[]) => (
    <ul className="space-y-1 border-l border-slate-200 pl-4 first:border-0 first:pl-0">
      {nodes.map((n) => (
        <li key={n.id} data-testid="tree-node">
          <div className={`flex flex-wrap items-center gap-2 rounded px-2 py-1 text-sm ${n.id === currentId ? "bg-indigo-50 ring-1 ring-indigo-200" : ""}`} aria-current={n.id === currentId ? "true" : undefined}>
            {n.id === currentId ? <span className="font-mono text-xs font-semibold">{n.id}</span> : <Link href={`/leases/${n.id}`} className="font-mono text-xs text-indigo-700 hover:underline">{n.id}</Link>}
            <span className="font-mono text-xs">{n.agent.name}</span>
            <StatusBadge status={n.status} testId="tree-status" />
            <span className="text-xs text-slate-500 tabular-nums">{n.toolCallsUsed}/{n.maxToolCalls} calls</span>
            <span className="truncate text-xs text-slate-600">{n.purpose}</span>
          </div>
          {children.get(n.id)?.length ? render(children.get(n.id)!) : null}
        </li>
      ))}
    </ul>
  );
  return render(roots);
}
