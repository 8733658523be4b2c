"use client";
import { useState } from "react";
import { THEME_COOKIE, THEMES, type Theme } from "@/components/shell/theme";

const LABEL: Record<Theme, string> = { system: "System", light: "Light", dark: "Dark" };

/** Light / dark / system. The cookie makes the server render the choice on the next load; the class applies it now. */
export function ThemeSwitch({ initial }: { initial: Theme }) {
  const [theme, setTheme] = useState<Theme>(initial);
  function choose(next: Theme) {
    setTheme(next);
    document.cookie = `${THEME_COOKIE}=${next}; Path=/; Max-Age=31536000; SameSite=Lax`;
    document.documentElement.classList.remove(...THEMES);
    document.documentElement.classList.add(next);
  }
  return (
    <label className="flex items-center gap-2 text-sm text-slate-600">
      Theme
      <select
        value={theme}
        onChange={(e) => choose(e.target.value as Theme)}
        data-testid="theme-switch"
        className="min-h-9 rounded-md border border-slate-300 bg-white px-2 py-1 text-sm text-slate-900"
      >
        {THEMES.map((t) => (
          <option key={t} value={t}>
            {LABEL[t]}
          </option>
        ))}
      </select>
    </label>
  );
}
