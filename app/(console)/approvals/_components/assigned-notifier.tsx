"use client";
import { useEffect, useRef, useState } from "react";
import { usePendingQueue } from "./use-escalations";
import type { QueueItem } from "./prompt-text";

type Permission = NotificationPermission | "unsupported";

/**
 * Browser notifications for new requests assigned to the viewer while this tab is in the background
 * (issue 17). Permission is asked only from the button, never on load (browsers penalise that, and it
 * startles). Shares the queue's query, so it costs no extra request.
 */
export function AssignedNotifier({ initialItems }: { initialItems: QueueItem[] }) {
  const queue = usePendingQueue(initialItems);
  const [permission, setPermission] = useState<Permission>("default");
  const seen = useRef<Set<string>>(new Set(initialItems.map((i) => i.id)));

  useEffect(() => {
    setPermission(typeof Notification === "undefined" ? "unsupported" : Notification.permission);
  }, []);

  useEffect(() => {
    const items = queue.data ?? [];
    const fresh = items.filter((i) => !seen.current.has(i.id));
    for (const i of items) seen.current.add(i.id);
    if (typeof Notification === "undefined" || Notification.permission !== "granted" || !document.hidden) return;
    for (const item of fresh.filter((i) => i.assignedToYou)) {
      let n: Notification;
      try {
        const resource = item.resource as { type: string; id: string } | null;
        n = new Notification(`Approval needed: ${item.agent.name}`, {
          body: `${item.tool ?? "a lease"}${resource ? ` on ${resource.type} ${resource.id}` : ""} (${item.risk} risk)`,
          tag: item.id,
        });
      } catch {
        // Chrome on Android allows page notifications only through a service worker: the queue still updates.
        return;
      }
      n.onclick = () => {
        window.focus();
        window.location.assign(`/approvals?escalation=${encodeURIComponent(item.id)}`);
        n.close();
      };
    }
  }, [queue.data]);

  if (permission === "unsupported" || permission === "granted") {
    return permission === "granted" ? (
      <p data-testid="notify-on" className="mb-3 text-xs text-slate-600">
        Browser notifications are on for new requests assigned to you while this tab is in the background.
      </p>
    ) : null;
  }
  return (
    <div className="mb-3 flex items-center gap-2 text-sm">
      <button
        type="button"
        data-testid="notify-enable"
        disabled={permission === "denied"}
        onClick={() => void Notification.requestPermission().then(setPermission)}
        className="min-h-11 rounded-md border border-slate-300 bg-white px-3 font-medium text-slate-800 hover:bg-slate-50 disabled:opacity-60 lg:min-h-9"
      >
        Notify me of new requests assigned to me
      </button>
      {permission === "denied" && <span className="text-xs text-slate-600">Notifications are blocked for this site in the browser&apos;s settings.</span>}
    </div>
  );
}
