"use client";
import { signIn } from "next-auth/react";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";

export function SignInForm({ sso }: { sso: string | null }) {
  const router = useRouter();
  const params = useSearchParams();
  const callbackUrl = safeCallback(params.get("callbackUrl"));
  const [error, setError] = useState<string | null>(params.get("error") ? "Sign-in failed." : null);
  const [pending, setPending] = useState(false);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setPending(true);
    setError(null);
    const res = await signIn("credentials", { email: form.get("email"), password: form.get("password"), redirect: false });
    setPending(false);
    if (res?.ok) {
      router.replace(callbackUrl);
      router.refresh();
    } else setError("Wrong email or password, or the account is disabled.");
  }

  return (
    <form onSubmit={onSubmit} className="mt-6 space-y-4">
      <label className="block text-sm font-medium">
        Email
        <input name="email" type="email" autoComplete="username" required autoFocus className="mt-1 w-full rounded-md border border-slate-300 px-3 py-2" />
      </label>
      <label className="block text-sm font-medium">
        Password
        <input name="password" type="password" autoComplete="current-password" required className="mt-1 w-full rounded-md border border-slate-300 px-3 py-2" />
      </label>
      {error && (
        <p role="alert" className="text-sm text-rose-600">
          {error}
        </p>
      )}
      <button type="submit" disabled={pending} className="w-full rounded-md bg-indigo-600 px-3 py-2 font-medium text-white hover:bg-indigo-700 disabled:opacity-60">
        {pending ? "Signing in…" : "Sign in"}
      </button>
      {sso && (
        <button type="button" onClick={() => signIn("oidc", { callbackUrl })} className="w-full rounded-md border border-slate-300 px-3 py-2 font-medium hover:bg-slate-50">
          Sign in with {sso}
        </button>
      )}
    </form>
  );
}

/** Only same-site paths: an open redirect after sign-in is a phishing aid. */
function safeCallback(raw: string | null): string {
  if (!raw) return "/";
  try {
    const u = new URL(raw, "http://x");
    return u.origin === "http://x" && raw.startsWith("/") && !raw.startsWith("//") ? u.pathname + u.search : "/";
  } catch {
    return "/";
  }
}
