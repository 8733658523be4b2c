import { Dashboard } from "./_components/dashboard";
import { Forbidden } from "@/components/ui/forbidden";
import { pageAccess } from "@/lib/auth/page-guard";
import { dashboard } from "@/lib/dashboard/queries";
import { db } from "@/lib/db";

export const metadata = { title: "Dashboard" };

export default async function DashboardPage() {
  const access = await pageAccess("console.view", "/");
  if (!access.allowed) return <Forbidden permission={access.permission} role={access.actor.role} />;
  // The first frame is rendered from the database; the client then refreshes through GET /api/v1/dashboard.
  return <Dashboard initialData={await dashboard(db())} />;
}
