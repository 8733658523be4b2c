import Link from "next/link";
import { ConnectionsSection } from "./_components/connections-section";
import { Forbidden } from "@/components/ui/forbidden";
import { PageHeader } from "@/components/ui/page-header";
import { pageAccess } from "@/lib/auth/page-guard";
import { listConnections } from "@/lib/connections/connections";
import { listCredentials } from "@/lib/credentials/credentials";
import { db } from "@/lib/db";
import { listEnforcementPoints } from "@/lib/enforcement-points/enforcement-points";
import { listTools } from "@/lib/tools/tools";

export const metadata = { title: "Connections" };

export default async function ConnectionsPage() {
  const access = await pageAccess("connections.manage", "/settings/connections");
  if (!access.allowed) return <Forbidden permission={access.permission} role={access.actor.role} />;
  const [connections, points, tools] = await Promise.all([listConnections(db(), access.actor), listEnforcementPoints(db()), listTools(db())]);
  const credentials = Object.fromEntries(await Promise.all(connections.map(async (c) => [c.id, await listCredentials(db(), c.id)] as const)));

  return (
    <div className="max-w-6xl">
      <PageHeader
        title="Connections"
        description="Upstream MCP servers a gateway fronts: how to reach each one, which of its tools map to catalog tools (unmapped tools are invisible and uncallable), which enforcement-point keys serve it, and the credentials the gateway injects for it. Values of variables, headers and credentials are write-only."
      >
        <p className="mt-2 text-sm">
          <Link href="/settings" className="text-indigo-700 underline-offset-2 hover:underline">
            ← Settings
          </Link>
        </p>
      </PageHeader>
      <ConnectionsSection
        connections={connections}
        credentials={credentials}
        points={points.filter((p) => !p.revokedAt).map((p) => ({ id: p.id, name: p.name, scopes: p.scopes }))}
        allPoints={Object.fromEntries(points.map((p) => [p.id, p.name]))}
        tools={tools.map((t) => ({ name: t.name, risk: t.risk }))}
      />
    </div>
  );
}
