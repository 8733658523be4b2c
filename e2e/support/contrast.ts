import type { Page } from "@playwright/test";

/** Relative luminance of an element's colour, whatever colour space the stylesheet uses. */
export async function luminance(page: Page, selector: string, prop: "backgroundColor" | "color"): Promise<number> {
  return page.evaluate(
    ([sel, p]) => {
      const el = document.querySelector(sel);
      if (!el) throw new Error(`no ${sel}`);
      const c = document.createElement("canvas").getContext("2d")!;
      c.fillStyle = getComputedStyle(el)[p];
      c.fillRect(0, 0, 1, 1);
      const [r, g, b] = Array.from(c.getImageData(0, 0, 1, 1).data).map((v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    },
    [selector, prop] as const,
  );
}
