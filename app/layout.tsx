import type { Metadata, Viewport } from "next";
import { cookies } from "next/headers";
import { parseTheme, THEME_COOKIE } from "@/components/shell/theme";
import "./globals.css";

export const metadata: Metadata = { title: { default: "Lanyard", template: "%s · Lanyard" }, description: "Zero standing permissions for AI agents" };
export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  // Read on the server so the first paint already has the chosen theme. Reading the cookie also makes
  // every page dynamic, so Next puts the proxy's CSP nonce on its scripts (a prerendered 404 had none).
  const theme = parseTheme((await cookies()).get(THEME_COOKIE)?.value);
  return (
    <html lang="en" className={theme}>
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">{children}</body>
    </html>
  );
}
