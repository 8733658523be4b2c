"use client";
import { useEffect } from "react";
import { BackToDashboard, StatusPanel } from "@/components/ui/status-panel";

// A page failed while rendering: say so in plain words, keep the navigation (the layout stays), offer a retry.
// The digest lets an operator find the server log line; the error's message is not shown (it may be internal).
export default function ConsoleError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  return (
    <StatusPanel code="Something went wrong" title="This page could not be shown" testId="page-error" tone="rose">
      <p>The server could not finish this page. Try again; if it keeps failing, tell an admin{error.digest ? <> and quote <span className="font-mono">{error.digest}</span></> : null}.</p>
      <div className="mt-4 flex items-center justify-center gap-4">
        <button type="button" onClick={reset} className="min-h-11 rounded-md bg-indigo-600 px-4 text-sm font-medium text-white hover:bg-indigo-700">
          Try again
        </button>
        <BackToDashboard />
      </div>
    </StatusPanel>
  );
}
