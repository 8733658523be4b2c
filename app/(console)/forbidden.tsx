import { Forbidden } from "@/components/ui/forbidden";
import { deniedPermission } from "@/lib/auth/page-guard";
import { currentActor } from "@/lib/auth/session";

// Rendered inside the console layout (navigation kept) when a page calls forbidden(): HTTP 403.
export default async function ConsoleForbidden() {
  const actor = await currentActor();
  return <Forbidden role={actor?.role ?? "unknown"} permission={deniedPermission().permission} />;
}
