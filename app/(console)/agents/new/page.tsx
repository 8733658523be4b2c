import { AgentForm } from "../_components/agent-form";
import { Card } from "@/components/ui/card";
import { Forbidden } from "@/components/ui/forbidden";
import { PageHeader } from "@/components/ui/page-header";
import { pageAccess } from "@/lib/auth/page-guard";
import { db } from "@/lib/db";
import { listPeople } from "@/lib/people/people";
import { listTools } from "@/lib/tools/tools";

export const metadata = { title: "New agent" };

export default async function NewAgentPage() {
  const access = await pageAccess("agents.manage", "/agents/new");
  if (!access.allowed) return <Forbidden permission={access.permission} role={access.actor.role} />;
  const [people, tools] = await Promise.all([listPeople(db()), listTools(db())]);
  const owners = people.filter((p) => p.status === "active").map(({ id, name, email }) => ({ id, name, email }));
  return (
    <div className="max-w-3xl">
      <PageHeader title="New agent" description="Register an agent identity. Its ceiling is the most any lease may ever grant it; each lease still starts from nothing." />
      <Card>
        <AgentForm mode="create" people={owners} tools={tools} />
      </Card>
    </div>
  );
}
