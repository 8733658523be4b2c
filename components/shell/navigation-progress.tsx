"use client";
import { usePathname, useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";

/**
 * A thin bar at the top while a navigation is on its way. The App Router has no navigation events, so a
 * start is an in-app link click or GET form submit, and the end is the URL changing. No loading.tsx on
 * purpose: a Suspense fallback starts streaming with 200, and notFound()/forbidden() must answer 404/403.
 */
export function NavigationProgress() {
  const path = usePathname();
  const search = useSearchParams().toString();
  const [pending, setPending] = useState(false);
  const [visible, setVisible] = useState(false);

  // The URL changed: the navigation landed.
  useEffect(() => setPending(false), [path, search]);

  useEffect(() => {
    const here = () => window.location.pathname + window.location.search;
    function onClick(e: MouseEvent) {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      const a = (e.target as Element | null)?.closest?.("a[href]") as HTMLAnchorElement | null;
      if (!a || a.target === "_blank" || a.hasAttribute("download")) return;
      const url = new URL(a.href, window.location.href);
      if (url.origin !== window.location.origin || url.pathname.startsWith("/api/")) return;
      if (url.pathname + url.search !== here()) setPending(true);
    }
    function onSubmit(e: SubmitEvent) {
      const form = e.target as HTMLFormElement;
      if ((form.method || "get").toLowerCase() === "get" && !e.defaultPrevented) setPending(true);
    }
    document.addEventListener("click", onClick);
    document.addEventListener("submit", onSubmit);
    return () => {
      document.removeEventListener("click", onClick);
      document.removeEventListener("submit", onSubmit);
    };
  }, []);

  // Fast navigations show nothing; only one slower than 150 ms shows the bar.
  useEffect(() => {
    if (!pending) {
      setVisible(false);
      return;
    }
    const t = setTimeout(() => setVisible(true), 150);
    return () => clearTimeout(t);
  }, [pending]);

  if (!visible) return null;
  return (
    <div className="fixed inset-x-0 top-0 z-50 h-1 overflow-hidden bg-indigo-100" role="progressbar" aria-label="Loading page" data-testid="nav-progress">
      <div className="h-full w-1/3 animate-[lanyard-progress_1.2s_ease-in-out_infinite] bg-indigo-600" />
    </div>
  );
}
