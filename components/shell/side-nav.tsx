"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { signOut } from "next-auth/react";
import { NAV } from "@/components/shell/nav";


/** `allowed`: the links this person's role may open (computed on the server with the one permission check). */
export function SideNav({ actor, allowed }: { actor: { name: string; email: string; role: string }; allowed: string[] }) {
  const path = usePathname();
  return (
    <nav aria-label="Main" className="flex w-full shrink-0 flex-col border-b border-slate-200 bg-white md:w-56 md:border-r md:border-b-0">
      <div className="px-5 py-3 text-lg font-semibold tracking-tight md:py-5">
        <svg aria-hidden viewBox="0 0 24 24" className="mr-1.5 inline h-5 w-5 align-[-3px] text-indigo-600" fill="none" stroke="currentColor" strokeWidth="2">
          <path d="M9 2v6l3 2 3-2V2" />
          <rect x="5" y="10" width="14" height="12" rx="2" />
          <path d="M9 16h6" />
        </svg>
        Lanyard
      </div>
      {/* A row that scrolls sideways on a phone, a column beside the page from md up. */}
      <ul className="flex flex-1 gap-1 overflow-x-auto px-2 pb-2 md:block md:space-y-0.5 md:pb-0">
        {NAV.filter((n) => allowed.includes(n.href)).map((n) => {
          const active = n.href === "/" ? path === "/" : path.startsWith(n.href);
          return (
            <li key={n.href} className="shrink-0">
              <Link
                href={n.href}
                aria-current={active ? "page" : undefined}
                className={`block rounded-md px-3 py-2 text-sm ${active ? "bg-indigo-50 font-medium text-indigo-700" : "text-slate-700 hover:bg-slate-100"}`}
              >
                {n.label}
              </Link>
            </li>
          );
        })}
      </ul>
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1 border-t border-slate-200 px-4 py-2 text-sm md:block md:py-4" data-testid="signed-in">
        <div className="truncate font-medium">{actor.name}</div>
        <div className="truncate text-slate-500">{actor.email}</div>
        <div className="mt-1 inline-block rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700" data-testid="role">
          {actor.role}
        </div>
        <button type="button" onClick={() => signOut({ callbackUrl: "/sign-in" })} className="block text-sm text-indigo-700 hover:underline md:mt-3">
          Sign out
        </button>
      </div>
    </nav>
  );
}
