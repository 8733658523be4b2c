import { BackToDashboard, StatusPanel } from "@/components/ui/status-panel";

export const metadata = { title: "Not found" };

// Unknown paths (no route matched) land here, outside the console layout: same panel, themed, a way back.
export default function NotFound() {
  return (
    <main className="px-4">
      <StatusPanel code="404 · Not found" title="There is no page at this address" testId="not-found">
        <p>Check the address, or start again from the console.</p>
        <BackToDashboard />
      </StatusPanel>
    </main>
  );
}
