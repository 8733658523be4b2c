import type { z } from "zod";
import type { PolicyListResponse, ReplayResponse, ValidateResponse } from "@/lib/policy/schemas";

export type Listing = z.infer<typeof PolicyListResponse>;
export type CurrentPolicy = NonNullable<Listing["current"]>;
export type PolicyVersion = Listing["versions"][number];
export type Validation = z.infer<typeof ValidateResponse>;
export type Replay = z.infer<typeof ReplayResponse>;
export type ToolOption = { name: string; risk: string };
export type AgentOption = { id: string; name: string; environments: string[] };
export type PersonOption = { id: string; email: string };
export type WhatIfAnswer = {
  decision: "allow" | "deny" | "escalate";
  reasons: { code: string; message: string }[];
  leaseOutcome: string | null;
  policy: { version: number | null; draft: boolean; determinedBy: string[] };
};
