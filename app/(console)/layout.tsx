import { redirect } from "next/navigation";
import { Providers } from "@/components/providers";
import { SideNav } from "@/components/shell/side-nav";
import { currentActor } from "@/lib/auth/session";

export const dynamic = "force-dynamic";

export default async function ConsoleLayout({ children }: { children: React.ReactNode }) {
  const actor = await currentActor();
  if (!actor) redirect("/sign-in");
  return (
    <Providers>
      <div className="flex min-h-screen">
        <SideNav actor={{ name: actor.name, email: actor.email, role: actor.role }} />
        <main className="min-w-0 flex-1 px-8 py-6">{children}</main>
      </div>
    </Providers>
  );
}
