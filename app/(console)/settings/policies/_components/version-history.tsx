"use client";
import { useState } from "react";
import { DiffView } from "./diff-view";
import type { PolicyVersion } from "./types";
import { Button } from "@/components/ui/button";
import { RelativeTime } from "@/components/ui/relative-time";
import { tableClass, TableWrap, tdClass, thClass } from "@/components/ui/table";

/** Every published version (newest first) with its author and message; each one's diff on demand. */
export function VersionHistory({ versions }: { versions: PolicyVersion[] }) {
  const [open, setOpen] = useState<number | null>(null);
  if (versions.length === 0) return <p className="text-sm text-slate-500">Nothing published yet.</p>;
  const shown = versions.find((v) => v.version === open);
  return (
    <div>
      <TableWrap label="Policy versions">
        <table className={tableClass}>
          <thead className="bg-slate-50">
            <tr>
              <th className={thClass}>Version</th>
              <th className={thClass}>Message</th>
              <th className={thClass}>Author</th>
              <th className={thClass}>Published</th>
              <th className={thClass}>Policies</th>
              <th className={thClass}>
                <span className="sr-only">Diff</span>
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {versions.map((v) => (
              <tr key={v.version} data-testid="policy-version" data-version={v.version}>
                <td className={`${tdClass} font-mono`}>v{v.version}</td>
                <td className={`${tdClass} max-w-md`}>{v.message}</td>
                <td className={`${tdClass} text-xs`}>{v.authorEmail}</td>
                <td className={`${tdClass} text-xs whitespace-nowrap`}>
                  <RelativeTime iso={v.createdAt} />
                </td>
                <td className={`${tdClass} font-mono text-xs`}>{v.policyIds.length}</td>
                <td className={tdClass}>
                  <Button size="sm" variant="ghost" aria-expanded={open === v.version} onClick={() => setOpen(open === v.version ? null : v.version)}>
                    {open === v.version ? "Hide diff" : "Show diff"}
                    <span className="sr-only"> of version {v.version}</span>
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      {shown && (
        <div className="mt-3">
          <DiffView diff={shown.diff} label={`Version ${shown.version} against the version before it`} testId="version-diff" />
        </div>
      )}
    </div>
  );
}
