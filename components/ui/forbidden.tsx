export function Forbidden({ permission, role }: { permission: string; role: string }) {
  return (
    <div role="alert" data-testid="forbidden" className="mx-auto mt-16 max-w-lg rounded-lg border border-rose-200 bg-white p-8 text-center shadow-sm">
      <p className="text-sm font-semibold tracking-wide text-rose-600 uppercase">403 · Not allowed</p>
      <h1 className="mt-2 text-xl font-semibold">This page is not for your role</h1>
      <p className="mt-2 text-sm text-slate-600">
        Your role <span className="font-mono">{role}</span> lacks the <span className="font-mono">{permission}</span> permission. Ask an admin if you need it.
      </p>
    </div>
  );
}
