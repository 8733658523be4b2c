import type { Tx } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { grantsCoverage, type GrantsCoverage } from "@/lib/entitlements/coverage";
import { entitlementsOf } from "@/lib/entitlements/load";
import { DELEGATOR_UNENTITLED } from "@/lib/entitlements/recheck";
import type { Grant } from "@/lib/leases/schemas";

/**
 * Refuses `grants` (in `environment`) that `person` may not delegate: 422 when someone asks for them
 * (issue, delegation, a more_permission request), 409 when an approval would grant them. The caller
 * holds the person's row lock, which every change to their entitlements takes first, so what is read
 * here stays true until commit. Returns, per grant, the ids of the entitlements that cover it (what
 * "explain" shows as the entitlement that decided).
 */
/** Per grant, the entitlements of `person` that cover it in `environment`, or why none does. */
export async function delegableCoverage(tx: Tx, person: { id: string; role: string }, grants: Grant[], environment: string, known?: ReadonlyMap<string, string>): Promise<GrantsCoverage> {
  // Risks the caller read already (issue reads the catalog before its transaction) save a round trip.
  const risks = known ?? new Map((await tx.tool.findMany({ where: { name: { in: grants.map((g) => g.tool) } }, select: { name: true, risk: true } })).map((t) => [t.name, t.risk]));
  return grantsCoverage(await entitlementsOf(tx, person), grants, environment, risks);
}

export async function assertDelegable(
  tx: Tx,
  person: { id: string; role: string },
  grants: Grant[],
  environment: string,
  opts: { code: "unprocessable" | "conflict"; path?: (index: number) => (string | number)[]; risks?: ReadonlyMap<string, string> },
): Promise<string[][]> {
  const c = await delegableCoverage(tx, person, grants, environment, opts.risks);
  if (c.ok) return c.byGrant;
  const issues = c.violations.map((v) => ({ path: opts.path?.(v.index) ?? ["grants", v.index, "tool"], message: `${DELEGATOR_UNENTITLED}: ${v.reason}` }));
  throw new AppError(opts.code, `beyond what the delegating person may delegate: ${c.violations.map((v) => v.reason).join("; ")}`, issues);
}
