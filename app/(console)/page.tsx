import { pageAccess } from "@/lib/auth/page-guard";
import { Forbidden } from "@/components/ui/forbidden";

export const metadata = { title: "Dashboard" };

export default async function DashboardPage() {
  const access = await pageAccess("console.view", "/");
  if (!access.allowed) return <Forbidden permission={access.permission} role={access.actor.role} />;
  return (
    <div>
      <h1 className="text-2xl font-semibold">Dashboard</h1>
      <p className="mt-2 text-sm text-slate-600">Signed in as {access.actor.email}.</p>
    </div>
  );
}
