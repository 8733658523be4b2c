"use client";
import Link from "next/link";
import type { QueueItem } from "./prompt-text";
import { usePendingQueue } from "./use-escalations";

/** Queue | History. The queue count is live (same query as the queue itself). */
export function ApprovalTabs({ active, initialPending }: { active: "queue" | "history"; initialPending: QueueItem[] }) {
  const pending = usePendingQueue(initialPending).data?.length ?? 0;
  const tab = (on: boolean) =>
    `-mb-px inline-flex min-h-11 items-center gap-2 border-b-2 px-3 py-2 text-sm font-medium ${on ? "border-indigo-600 text-indigo-700" : "border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-800"}`;
  return (
    <nav aria-label="Approvals" className="mb-4 flex gap-1 border-b border-slate-200">
      <Link href="/approvals" aria-current={active === "queue" ? "page" : undefined} className={tab(active === "queue")} data-testid="tab-queue">
        Queue
        <span className={`rounded-full px-2 py-0.5 text-xs ${pending ? "bg-amber-100 text-amber-900" : "bg-slate-100 text-slate-600"}`} data-testid="tab-queue-count">
          {pending}
        </span>
      </Link>
      <Link href="/approvals/history" aria-current={active === "history" ? "page" : undefined} className={tab(active === "history")} data-testid="tab-history">
        History
      </Link>
    </nav>
  );
}

/** The rules approvers rely on, stated once above both tabs; folded on a phone, where the request needs the room. */
export function ApprovalRules() {
  return (
    <>
      <details data-testid="approval-rules-fold" className="mb-4 text-xs text-slate-600 lg:hidden">
        <summary className="flex min-h-11 cursor-pointer items-center font-medium text-slate-700">The rules of approval</summary>
        <RuleList className="flex flex-col gap-1" />
      </details>
      <RuleList className="mb-4 hidden flex-wrap gap-x-5 gap-y-1 text-xs text-slate-600 lg:flex" />
    </>
  );
}

function RuleList({ className }: { className: string }) {
  return (
    <ul data-testid="approval-rules" className={className}>
      <li>
        <strong className="text-slate-800">Critical</strong>: 2 distinct approvers, decide within 15 min
      </li>
      <li>
        <strong className="text-slate-800">High</strong>: 1 approver, within 60 min
      </li>
      <li>A reason is required to deny, and to approve anything critical</li>
      <li>Nobody approves a lease they delegated or requested</li>
      <li>Unanswered requests expire and the call stays denied</li>
    </ul>
  );
}
