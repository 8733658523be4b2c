import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { Suspense } from "react";
import { Providers } from "@/components/providers";
import { NAV } from "@/components/shell/nav";
import { NavigationProgress } from "@/components/shell/navigation-progress";
import { SideNav } from "@/components/shell/side-nav";
import { parseTheme, THEME_COOKIE } from "@/components/shell/theme";
import { can } from "@/lib/auth/permissions";
import { currentActor } from "@/lib/auth/session";

export const dynamic = "force-dynamic";

export default async function ConsoleLayout({ children }: { children: React.ReactNode }) {
  const actor = await currentActor();
  if (!actor) redirect("/sign-in");
  const theme = parseTheme((await cookies()).get(THEME_COOKIE)?.value);
  return (
    <Providers>
      <Suspense>
        <NavigationProgress />
      </Suspense>
      <div className="flex min-h-screen flex-col md:flex-row">
        <SideNav
          actor={{ name: actor.name, email: actor.email, role: actor.role }}
          allowed={NAV.filter((n) => can(actor, n.permission)).map((n) => n.href)}
          theme={theme}
        />
        <main className="min-w-0 flex-1 px-4 py-4 md:px-8 md:py-6">{children}</main>
      </div>
    </Providers>
  );
}
