import Link from "next/link";
import { ApprovalRoutingSection } from "./_components/approval-routing-section";
import { EnforcementPointsSection } from "./_components/enforcement-points-section";
import { EntitlementsSection } from "./_components/entitlements-section";
import { GroupsSection } from "./_components/groups-section";
import { PeopleSection } from "./_components/people-section";
import { SigningKeySection } from "./_components/signing-key-section";
import { ToolsSection } from "./_components/tools-section";
import { WebhooksSection } from "./_components/webhooks-section";
import { Card } from "@/components/ui/card";
import { Forbidden } from "@/components/ui/forbidden";
import { PageHeader } from "@/components/ui/page-header";
import { EP_SCOPES } from "@/lib/auth/scopes";
import { pageAccess } from "@/lib/auth/page-guard";
import { can } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { listEnforcementPoints } from "@/lib/enforcement-points/enforcement-points";
import { listAgents } from "@/lib/agents/queries";
import { listApprovalRoutes } from "@/lib/routing/routes";
import { listPeople } from "@/lib/people/people";
import { listGroups } from "@/lib/groups/groups";
import { listEntitlements } from "@/lib/entitlements/entitlements";
import { listTools } from "@/lib/tools/tools";
import { signingKeyHistory } from "@/lib/tokens/key-history";
import { WEBHOOK_EVENT_NAMES } from "@/lib/webhooks/schemas";
import { listWebhooks } from "@/lib/webhooks/webhooks";

export const metadata = { title: "Settings" };

const SECTIONS = [
  { id: "people", label: "People" },
  { id: "groups", label: "Groups" },
  { id: "entitlements", label: "Entitlements" },
  { id: "approval-routing", label: "Approval routing" },
  { id: "enforcement-points", label: "Enforcement points" },
  { id: "tools", label: "Tool catalog" },
  { id: "webhooks", label: "Webhooks" },
  { id: "signing-key", label: "Signing key" },
];

export default async function SettingsPage() {
  const access = await pageAccess("people.manage", "/settings");
  if (!access.allowed) return <Forbidden permission={access.permission} role={access.actor.role} />;
  const actor = access.actor;
  const [people, points, tools, webhooks, groups, entitlements, keys, routes, agents] = await Promise.all([
    listPeople(db()),
    can(actor, "enforcement-points.manage") ? listEnforcementPoints(db()) : Promise.resolve(null),
    listTools(db()),
    can(actor, "webhooks.manage") ? listWebhooks(db()) : Promise.resolve(null),
    listGroups(db()),
    listEntitlements(db()),
    can(actor, "keys.rotate") ? signingKeyHistory(db()) : Promise.resolve([]),
    listApprovalRoutes(db()),
    listAgents(db(), {}),
  ]);

  return (
    <div className="max-w-6xl">
      <PageHeader title="Settings" description="People and roles, enforcement-point keys, the tool catalog, webhooks for approval notifications and the lease-token signing key." />
      <nav aria-label="Settings sections" className="mb-6 flex flex-wrap gap-2">
        {SECTIONS.map((s) => (
          <a key={s.id} href={`#${s.id}`} className="rounded-full border border-slate-300 bg-white px-3 py-1 text-sm hover:bg-slate-50">
            {s.label}
          </a>
        ))}
        {can(actor, "connections.manage") && (
          <Link href="/settings/connections" className="rounded-full border border-indigo-300 bg-indigo-50 px-3 py-1 text-sm text-indigo-800 hover:bg-indigo-100" data-testid="settings-connections-link">
            Connections →
          </Link>
        )}
        {can(actor, "policies.read") && <Link href="/settings/policies" className="rounded-full border border-indigo-300 bg-indigo-50 px-3 py-1 text-sm text-indigo-800 hover:bg-indigo-100" data-testid="settings-policies-link">Policies →</Link>}
      </nav>
      <div className="space-y-8">
        <section id="people" aria-labelledby="people-title" className="scroll-mt-6">
          <h2 id="people-title" className="mb-3 text-lg font-semibold">
            People
          </h2>
          <PeopleSection people={people} selfId={actor.id} />
        </section>
        <section id="groups" aria-labelledby="groups-title" className="scroll-mt-6">
          <h2 id="groups-title" className="mb-3 text-lg font-semibold">
            Groups
          </h2>
          <GroupsSection groups={groups} people={people} />
        </section>
        <section id="entitlements" aria-labelledby="entitlements-title" className="scroll-mt-6">
          <h2 id="entitlements-title" className="mb-3 text-lg font-semibold">
            Entitlements
          </h2>
          <EntitlementsSection
            entitlements={entitlements}
            tools={tools}
            groups={groups.map((g) => ({ id: g.id, label: g.name }))}
            people={people.filter((p) => p.status === "active").map((p) => ({ id: p.id, label: p.email }))}
          />
        </section>
        <section id="approval-routing" aria-labelledby="approval-routing-title" className="scroll-mt-6">
          <h2 id="approval-routing-title" className="mb-3 text-lg font-semibold">
            Approval routing
          </h2>
          <ApprovalRoutingSection
            routes={routes}
            groups={groups.map((g) => ({ id: g.id, label: g.name }))}
            agents={agents.filter((a) => a.status !== "retired").map((a) => ({ id: a.id, label: a.name }))}
            tools={tools.map((t) => t.name)}
          />
        </section>
        {points && (
          <section id="enforcement-points" aria-labelledby="ep-title" className="scroll-mt-6">
            <h2 id="ep-title" className="mb-3 text-lg font-semibold">
              Enforcement points
            </h2>
            <EnforcementPointsSection points={points} scopes={EP_SCOPES} />
          </section>
        )}
        {can(actor, "tools.manage") && (
          <section id="tools" aria-labelledby="tools-title" className="scroll-mt-6">
            <h2 id="tools-title" className="mb-3 text-lg font-semibold">
              Tool catalog
            </h2>
            <ToolsSection tools={tools} />
          </section>
        )}
        {webhooks && (
          <section id="webhooks" aria-labelledby="webhooks-title" className="scroll-mt-6">
            <h2 id="webhooks-title" className="mb-3 text-lg font-semibold">
              Webhooks
            </h2>
            <WebhooksSection webhooks={webhooks} events={WEBHOOK_EVENT_NAMES} />
          </section>
        )}
        {can(actor, "keys.rotate") && (
          <section id="signing-key" aria-labelledby="key-title" className="scroll-mt-6">
            <h2 id="key-title" className="mb-3 text-lg font-semibold">
              Signing key
            </h2>
            <Card>
              <SigningKeySection keys={keys} />
            </Card>
          </section>
        )}
      </div>
    </div>
  );
}
