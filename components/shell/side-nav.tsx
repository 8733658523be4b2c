"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { signOut } from "next-auth/react";
import { useEffect, useRef, useState } from "react";
import { activeHref, NAV } from "@/components/shell/nav";
import type { Theme } from "@/components/shell/theme";
import { ThemeSwitch } from "@/components/shell/theme-switch";

/**
 * `allowed`: the links this person's role may open (computed on the server with the one permission check).
 * Below md the links, the person and the theme fold behind a Menu button (a disclosure: aria-expanded,
 * closes on navigation and Escape); from md up they are a column beside the page.
 */
export function SideNav({ actor, allowed, theme }: { actor: { name: string; email: string; role: string }; allowed: string[]; theme: Theme }) {
  const path = usePathname();
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);

  // A link was followed: the menu has done its job.
  useEffect(() => setOpen(false), [path]);

  useEffect(() => {
    if (!open) return;
    function onKey(e: KeyboardEvent) {
      if (e.key !== "Escape") return;
      setOpen(false);
      button.current?.focus();
    }
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [open]);

  return (
    <nav
      aria-label="Main"
      className="sticky top-0 z-40 flex w-full shrink-0 flex-col border-b border-slate-200 bg-white md:h-screen md:w-56 md:overflow-y-auto md:border-r md:border-b-0"
    >
      <div className="flex items-center justify-between px-4 py-2 md:px-5 md:py-5">
        <Link href="/" className="rounded text-lg font-semibold tracking-tight text-slate-900">
          <svg aria-hidden viewBox="0 0 24 24" className="mr-1.5 inline h-5 w-5 align-[-3px] text-indigo-600" fill="none" stroke="currentColor" strokeWidth="2">
            <path d="M9 2v6l3 2 3-2V2" />
            <rect x="5" y="10" width="14" height="12" rx="2" />
            <path d="M9 16h6" />
          </svg>
          Lanyard
        </Link>
        <button
          ref={button}
          type="button"
          aria-expanded={open}
          aria-controls="main-nav-panel"
          onClick={() => setOpen((o) => !o)}
          data-testid="nav-toggle"
          className="inline-flex min-h-11 min-w-11 items-center justify-center gap-2 rounded-md border border-slate-300 px-3 text-sm font-medium text-slate-800 hover:bg-slate-100 md:hidden"
        >
          <svg aria-hidden viewBox="0 0 24 24" className="h-5 w-5" fill="none" stroke="currentColor" strokeWidth="2">
            {open ? <path d="M6 6l12 12M18 6L6 18" /> : <path d="M4 7h16M4 12h16M4 17h16" />}
          </svg>
          Menu
        </button>
      </div>
      <div id="main-nav-panel" data-testid="nav-panel" className={`${open ? "flex" : "hidden"} max-h-[calc(100dvh-3.75rem)] flex-1 flex-col overflow-y-auto md:flex md:max-h-none`}>
        <ul className="flex-1 space-y-0.5 px-2 pb-2 md:pb-0">
          {NAV.filter((n) => allowed.includes(n.href)).map((n) => {
            const active = n.href === activeHref(path, allowed);
            return (
              <li key={n.href}>
                <Link
                  href={n.href}
                  aria-current={active ? "page" : undefined}
                  className={`flex min-h-11 items-center rounded-md px-3 text-sm md:min-h-9 ${active ? "bg-indigo-50 font-medium text-indigo-700" : "text-slate-700 hover:bg-slate-100"}`}
                >
                  {n.label}
                </Link>
              </li>
            );
          })}
        </ul>
        <div className="space-y-1 border-t border-slate-200 px-4 py-3 text-sm md:py-4" data-testid="signed-in">
          <div className="truncate font-medium text-slate-900">{actor.name}</div>
          <div className="truncate text-slate-600">{actor.email}</div>
          <div className="inline-block rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700" data-testid="role">
            {actor.role}
          </div>
          <Link href="/profile" data-testid="profile-link" className="block min-h-11 pt-1 text-sm text-indigo-700 hover:underline md:min-h-0">
            Profile and passkeys
          </Link>
          <div className="pt-2">
            <ThemeSwitch initial={theme} />
          </div>
          <button type="button" onClick={() => signOut({ callbackUrl: "/sign-in" })} className="block min-h-11 text-sm text-indigo-700 hover:underline md:min-h-0 md:pt-2">
            Sign out
          </button>
        </div>
      </div>
    </nav>
  );
}
