"use client";
import { usePathname, useRouter } from "next/navigation";
import { useTransition } from "react";
import { Button } from "@/components/ui/button";

/**
 * Filters live in the URL (shareable, back-button friendly). A plain GET form that still works
 * without JavaScript; with it, selects apply at once and navigation stays client-side.
 */
export function FilterForm({ children, label, testId = "filters" }: { children: React.ReactNode; label: string; testId?: string }) {
  const router = useRouter();
  const path = usePathname();
  const [pending, start] = useTransition();

  function apply(form: HTMLFormElement) {
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (typeof v === "string" && v.trim()) params.set(k, v.trim());
    const qs = params.toString();
    start(() => router.replace(qs ? `${path}?${qs}` : path));
  }

  return (
    <form
      method="get"
      role="search"
      aria-label={label}
      data-testid={testId}
      aria-busy={pending}
      className="mb-4 flex flex-wrap items-end gap-3"
      onSubmit={(e) => {
        e.preventDefault();
        apply(e.currentTarget);
      }}
      onChange={(e) => {
        if (e.target instanceof HTMLSelectElement && e.target.form) apply(e.target.form);
      }}
    >
      {children}
      <Button type="submit" variant="secondary">
        Apply
      </Button>
      <Button type="reset" variant="ghost" onClick={() => start(() => router.replace(path))}>
        Clear
      </Button>
    </form>
  );
}
