/**
 * The starter policy set the demo data is seeded with: organisational rules that hold whatever a lease
 * grants, visible and editable in the console instead of hidden in code. The first two say what the
 * catalog's risk levels already make Lanyard do (so they change no decision); the third is a rule of
 * the demo organisation's own.
 */
export const STARTER_POLICY = `// Organisational rules that hold whatever a lease grants. A lease grants; a policy can only
// forbid a call, or with @escalate make it wait for people (@approvals: how many).
// Every publish is a new version: replay a draft against past decisions before publishing it.

// Critical tools: two people approve each call.
@id("critical-tools-two-approvers")
@escalate("critical-risk tool: two people approve each call")
@approvals("2")
forbid(principal, action in Action::"risk:critical", resource);

// High-risk tools: a person approves each call.
@id("high-risk-tools-step-up")
@escalate("high-risk tool: a person approves each call")
forbid(principal, action in Action::"risk:high", resource);

// Writes in production wait for a person (read-only tools are not in the "write" group).
@id("production-writes-escalate")
@escalate("a write in production")
forbid(principal, action in Action::"write", resource)
  when { context.environment == "production" };

// An example, not in force: only admins' leases change billing. Remove the // to use it.
// @id("billing-writes-admins-only")
// @reason("billing is changed under an admin's lease only")
// forbid(principal, action == Action::"billing.write", resource)
//   unless { context.delegator in Role::"admin" };
`;
