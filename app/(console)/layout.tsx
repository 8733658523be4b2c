import { redirect } from "next/navigation";
import { Providers } from "@/components/providers";
import { NAV } from "@/components/shell/nav";
import { SideNav } from "@/components/shell/side-nav";
import { can } from "@/lib/auth/permissions";
import { currentActor } from "@/lib/auth/session";

export const dynamic = "force-dynamic";

export default async function ConsoleLayout({ children }: { children: React.ReactNode }) {
  const actor = await currentActor();
  if (!actor) redirect("/sign-in");
  return (
    <Providers>
      <div className="flex min-h-screen flex-col md:flex-row">
        <SideNav actor={{ name: actor.name, email: actor.email, role: actor.role }} allowed={NAV.filter((n) => can(actor, n.permission)).map((n) => n.href)} />
        <main className="min-w-0 flex-1 px-4 py-4 md:px-8 md:py-6">{children}</main>
      </div>
    </Providers>
  );
}
