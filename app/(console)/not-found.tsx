import { BackToDashboard, StatusPanel } from "@/components/ui/status-panel";

export const metadata = { title: "Not found" };

// Rendered inside the console layout (navigation kept) when a page calls notFound(): HTTP 404.
export default function ConsoleNotFound() {
  return (
    <StatusPanel code="404 · Not found" title="There is nothing here" testId="not-found">
      <p>No run, lease, agent or approval has this address. It may have been mistyped, or the link is from another Lanyard.</p>
      <BackToDashboard />
    </StatusPanel>
  );
}
