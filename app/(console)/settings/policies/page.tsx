import Link from "next/link";
import { PoliciesConsole } from "./_components/policies-console";
import { Forbidden } from "@/components/ui/forbidden";
import { PageHeader } from "@/components/ui/page-header";
import { listAgents } from "@/lib/agents/queries";
import { pageAccess } from "@/lib/auth/page-guard";
import { can } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import { listPeople } from "@/lib/people/people";
import { listPolicies } from "@/lib/policy/store";
import { listTools } from "@/lib/tools/tools";

export const metadata = { title: "Policies" };

export default async function PoliciesPage() {
  const access = await pageAccess("policies.read", "/settings/policies");
  if (!access.allowed) return <Forbidden permission={access.permission} role={access.actor.role} />;
  const [policies, tools, agents, people] = await Promise.all([listPolicies(db()), listTools(db()), listAgents(db(), {}), listPeople(db())]);

  return (
    <div className="max-w-6xl">
      <PageHeader
        title="Policies"
        description="Organisational rules in Cedar that hold whatever a lease grants: a policy can only forbid a call, or with @escalate make it wait for people. Validate a draft as you type, replay it against past decisions to see which would change, try a call in the what-if panel, then publish it as a new version."
      >
        {can(access.actor, "people.manage") && (
          <p className="mt-2 text-sm">
            <Link href="/settings" className="text-indigo-700 underline-offset-2 hover:underline">
              ← Settings
            </Link>
          </p>
        )}
      </PageHeader>
      <PoliciesConsole
        current={policies.current}
        versions={policies.versions}
        canManage={can(access.actor, "policies.manage")}
        role={access.actor.role}
        tools={tools.map((t) => ({ name: t.name, risk: t.risk }))}
        agents={agents.map((a) => ({ id: a.id, name: a.name, environments: a.environments }))}
        people={people.map((p) => ({ id: p.id, email: p.email }))}
      />
    </div>
  );
}
