import { PasskeysSection } from "./_components/passkeys-section";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { pageAccess } from "@/lib/auth/page-guard";
import { db } from "@/lib/db";
import { listPasskeys } from "@/lib/presence/passkeys";

export const metadata = { title: "Profile" };

/** The signed-in person's own page: who they are here, and their passkeys (proof of presence for risky approvals). */
export default async function ProfilePage() {
  const { actor } = await pageAccess("console.view", "/profile");
  const passkeys = await listPasskeys(db(), actor);
  return (
    <div className="max-w-3xl space-y-6">
      <PageHeader title="Profile" description="Approving a high- or critical-risk request asks you to confirm it is you: with a passkey (this device's fingerprint, face or PIN, or a security key) or your password." />
      <Card title="You">
        <dl className="grid gap-3 text-sm sm:grid-cols-3">
          <div>
            <dt className="text-xs font-medium tracking-wide text-slate-500 uppercase">Name</dt>
            <dd>{actor.name}</dd>
          </div>
          <div>
            <dt className="text-xs font-medium tracking-wide text-slate-500 uppercase">Email</dt>
            <dd className="break-all">{actor.email}</dd>
          </div>
          <div>
            <dt className="text-xs font-medium tracking-wide text-slate-500 uppercase">Role</dt>
            <dd className="font-mono">{actor.role}</dd>
          </div>
        </dl>
      </Card>
      <PasskeysSection initial={passkeys} />
    </div>
  );
}
