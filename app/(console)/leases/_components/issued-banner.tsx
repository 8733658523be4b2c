"use client";
import { useEffect, useState } from "react";
import { ISSUED_TOKEN_KEY } from "./lease-draft";
import { CopyBox } from "@/components/ui/copy-box";

/** Right after issuing: says what happened and shows the lease token once (it lives only in this tab's session storage). */
export function IssuedBanner({ leaseId, status }: { leaseId: string; status: string }) {
  const [token, setToken] = useState<string | null>(null);
  useEffect(() => {
    try {
      const key = ISSUED_TOKEN_KEY(leaseId);
      setToken(sessionStorage.getItem(key));
      sessionStorage.removeItem(key);
    } catch {
      setToken(null);
    }
  }, [leaseId]);
  return (
    <div role="status" data-testid="lease-issued" className={`space-y-2 rounded-lg border p-4 text-sm ${status === "pending_approval" ? "border-amber-300 bg-amber-50 text-amber-950" : "border-emerald-300 bg-emerald-50 text-emerald-950"}`}>
      <p className="font-medium">{status === "pending_approval" ? "Lease requested: it waits for a person to approve it before the run may do anything." : "Lease issued and active."}</p>
      {token && (
        <>
          <p>Lease token for the run (hand it to the agent&apos;s enforcement point; it is shown only now):</p>
          <CopyBox value={token} label="Lease token" testId="lease-token" />
        </>
      )}
    </div>
  );
}
