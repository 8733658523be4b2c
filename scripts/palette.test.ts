import { readFileSync } from "node:fs";
import { globSync } from "glob";
import { describe, expect, it } from "vitest";

// app/globals.css mirrors every colour scale with light-dark(), so `text-slate-700` is already dark text in
// the light theme and light text in the dark one. A `dark:` variant on top inverts it a second time (light
// grey on white, or dark grey on black: axe's color-contrast in ui.spec caught three of them).
describe("the console's palette", () => {
  it("no component uses dark: variants (only the theme switch names the theme)", () => {
    const offenders = globSync("{app,components}/**/*.tsx")
      .filter((f) => !f.endsWith("theme-switch.tsx"))
      .flatMap((f) => (/\bdark:[a-z]/.test(readFileSync(f, "utf8")) ? [f] : []));
    expect(offenders).toEqual([]);
  });
});
