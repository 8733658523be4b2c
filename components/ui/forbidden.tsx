import { BackToDashboard, StatusPanel } from "@/components/ui/status-panel";

/** The 403 panel. `permission` is named when the caller knows it (forbidden.tsx does not get props). */
export function Forbidden({ permission, role }: { permission?: string; role: string }) {
  return (
    <StatusPanel code="403 · Not allowed" title="This page is not for your role" testId="forbidden" tone="rose">
      <p>
        Your role <span className="font-mono">{role}</span> lacks {permission ? <>the <span className="font-mono">{permission}</span> permission</> : "the permission this page needs"}. Ask an admin if you need it.
      </p>
      <BackToDashboard />
    </StatusPanel>
  );
}
