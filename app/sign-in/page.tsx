import { Suspense } from "react";
import { SignInForm } from "./sign-in-form";
import { env } from "@/lib/env";

export const dynamic = "force-dynamic";
export const metadata = { title: "Sign in" };

export default function SignInPage() {
  const sso = env().OIDC_ISSUER ? env().OIDC_NAME : null;
  return (
    <main className="flex min-h-screen items-center justify-center">
      <div className="w-full max-w-sm rounded-xl border border-slate-200 bg-white p-8 shadow-sm">
        <h1 className="text-xl font-semibold">Sign in to Lanyard</h1>
        <p className="mt-1 text-sm text-slate-500">Zero standing permissions for AI agents.</p>
        <Suspense>
          <SignInForm sso={sso} />
        </Suspense>
      </div>
    </main>
  );
}
