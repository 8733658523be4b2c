import { createHash } from "node:crypto";
import { canonicalJson } from "@/lib/audit/canonical";
import { AppError } from "@/lib/errors";
import type { DecisionRequest } from "@/lib/decisions/schemas";

/**
 * Arguments small enough to be copied into the decision's audit event as well (canonical JSON bytes).
 * Larger ones stay in the decision row only; the audit event always carries their digest, which the
 * hash chain then protects, so the row's arguments can be checked against the log.
 */
export const AUDIT_ARGUMENTS_MAX_BYTES = 1024;

/** Hex sha-256 of the RFC 8785 canonical JSON of a call's arguments: what approvals are bound to. */
export function argumentsDigest(args: unknown): string {
  return createHash("sha256").update(canonicalJson(args)).digest("hex");
}

/**
 * The request with its argumentsDigest filled in when the arguments were sent (Lanyard computes it);
 * both sent and disagreeing is a 400. Idempotent, so either decision path may call it.
 */
export function withArgumentsDigest(input: DecisionRequest): DecisionRequest {
  if (!input.arguments) return input;
  const digest = argumentsDigest(input.arguments);
  if (input.argumentsDigest !== undefined && input.argumentsDigest !== digest) {
    throw new AppError("invalid_request", "argumentsDigest does not match the sha-256 of the canonical JSON of arguments", [{ path: ["argumentsDigest"], message: "does not match arguments" }]);
  }
  return input.argumentsDigest === digest ? input : { ...input, argumentsDigest: digest };
}

/** What the decision's audit payload says about the arguments: always the digest, the values only when small. */
export function auditArguments(input: DecisionRequest): { argumentsDigest: string | null; arguments?: Record<string, unknown> } {
  const digest = input.argumentsDigest ?? null;
  if (!input.arguments || Buffer.byteLength(canonicalJson(input.arguments)) > AUDIT_ARGUMENTS_MAX_BYTES) return { argumentsDigest: digest };
  return { argumentsDigest: digest, arguments: input.arguments };
}
