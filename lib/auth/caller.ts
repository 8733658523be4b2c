import type { EnforcementPointActor } from "@/lib/auth/enforcement-point";
import type { Actor } from "@/lib/auth/permissions";

/** Whoever makes a request: a person (console session) or an enforcement point (API key). */
export type Caller = Actor | EnforcementPointActor;
