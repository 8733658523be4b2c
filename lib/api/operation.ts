import type { z } from "zod";
import type { Permission } from "@/lib/auth/permissions";
import type { EpScope } from "@/lib/auth/scopes";

export type AuthKind = "session" | "enforcement-point" | "session-or-enforcement-point";

/**
 * One API operation: the route handler validates with these schemas and the OpenAPI document is
 * generated from the same object, so the two cannot drift.
 */
export type Operation<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> = {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  summary: string;
  tag: string;
  auth: AuthKind;
  /** required of a person (session) */
  permission?: Permission;
  /** required of an enforcement point */
  scope?: EpScope;
  params?: P;
  query?: Q;
  body?: B;
  response?: z.ZodType;
  responseStatus?: number;
  errors?: number[];
};

export function defineOperation<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(op: Operation<P, Q, B>) {
  return op;
}
