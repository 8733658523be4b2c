import { z } from "zod";
import { defineOperation } from "@/lib/api/operation";
import { AgentCreate, AgentListQuery, AgentParams, AgentPatch, AgentView } from "@/lib/agents/schemas";
import { DecisionRequest, DecisionResponse } from "@/lib/decisions/schemas";
import { EnforcementPointCreate, EnforcementPointParams, EnforcementPointView } from "@/lib/enforcement-points/schemas";
import {
  ApproveLeaseRequest,
  CompleteRequest,
  DelegateRequest,
  LeaseIssued,
  LeaseListQuery,
  LeaseParams,
  LeaseRequest,
  LeaseView,
  RevokeRequest,
} from "@/lib/leases/schemas";
import { EscalationCreate, EscalationListQuery, EscalationParams, EscalationView, VoteRequest, WaitQuery } from "@/lib/escalations/schemas";
import { WebhookCreate, WebhookParams, WebhookView } from "@/lib/webhooks/schemas";
import { AuditEventView, AuditExportQuery, AuditPageQuery, AuditVerifyQuery } from "@/lib/audit/schemas";
import { PersonCreate, PersonParams, PersonPatch, PersonView } from "@/lib/people/schemas";
import { ToolUpsert, ToolView } from "@/lib/tools/schemas";
import { IntrospectRequest, IntrospectResponse } from "@/lib/leases/introspect";
import { ConnectionCreate, ConnectionParams, ConnectionPatch, ConnectionTestRequest, ConnectionTestResult, ConnectionView } from "@/lib/connections/schemas";
import { ConnectionCredentialsParams, CredentialCreate, CredentialParams, CredentialRotate, CredentialView, ReleaseRequest, ReleaseResponse } from "@/lib/credentials/schemas";

const LeaseOne = z.object({ lease: LeaseView });

// Every v1 operation, in one place: the route handlers validate with these, and /api/v1/openapi.json is built from them.
export const operations = {
  decide: defineOperation({ method: "POST", path: "/api/v1/decisions", tag: "decisions", summary: "Ask before a tool call: allow, deny or escalate", auth: "enforcement-point", scope: "decisions:write", body: DecisionRequest, response: DecisionResponse, errors: [400, 401, 403, 413, 503] }),

  issueLease: defineOperation({ method: "POST", path: "/api/v1/leases", tag: "leases", summary: "Issue a lease (person) or request one (enforcement point)", auth: "session-or-enforcement-point", permission: "leases.issue", scope: "leases:request", body: LeaseRequest, response: LeaseIssued, responseStatus: 201, errors: [400, 401, 403, 413, 422] }),
  listLeases: defineOperation({ method: "GET", path: "/api/v1/leases", tag: "leases", summary: "List leases", auth: "session", permission: "leases.read", query: LeaseListQuery, response: z.object({ leases: z.array(LeaseView) }) }),
  getLease: defineOperation({ method: "GET", path: "/api/v1/leases/{id}", tag: "leases", summary: "One lease", auth: "session", permission: "leases.read", params: LeaseParams, response: LeaseOne, errors: [404] }),
  delegateLease: defineOperation({ method: "POST", path: "/api/v1/leases/{id}/delegate", tag: "leases", summary: "Mint a strictly attenuated lease for a subagent, with the parent's token", auth: "enforcement-point", scope: "leases:delegate", params: LeaseParams, body: DelegateRequest, response: LeaseIssued, responseStatus: 201, errors: [403, 404, 409, 422] }),
  revokeLease: defineOperation({ method: "POST", path: "/api/v1/leases/{id}/revoke", tag: "leases", summary: "Revoke a lease and every descendant", auth: "session", permission: "leases.revoke.own", params: LeaseParams, body: RevokeRequest, response: LeaseOne.extend({ revoked: z.array(z.string()) }), errors: [403, 404, 409] }),
  completeLease: defineOperation({ method: "POST", path: "/api/v1/leases/{id}/complete", tag: "leases", summary: "End a lease when its run is done; returns its receipt", auth: "enforcement-point", scope: "leases:complete", params: LeaseParams, body: CompleteRequest, response: LeaseOne.extend({ receipt: z.record(z.string(), z.unknown()) }), errors: [403, 404, 409] }),
  getReceipt: defineOperation({ method: "GET", path: "/api/v1/leases/{id}/receipt", tag: "leases", summary: "The receipt of an ended lease (?format=jws for the signed form); a key reads only leases it requested, decided for, delegated or completed (others: 404)", auth: "session-or-enforcement-point", permission: "leases.read", scope: "leases:complete", params: LeaseParams, query: z.object({ format: z.enum(["json", "jws"]).default("json") }), errors: [403, 404, 409] }),
  decideLeaseRequest: defineOperation({ method: "POST", path: "/api/v1/leases/{id}/decision", tag: "leases", summary: "Approve or deny a lease waiting in pending_approval (a vote on its lease_request escalation)", auth: "session", permission: "approvals.decide", params: LeaseParams, body: ApproveLeaseRequest, response: LeaseOne.extend({ escalation: EscalationView }), errors: [400, 403, 404, 409] }),

  introspectLease: defineOperation({ method: "POST", path: "/api/v1/leases/introspect", tag: "leases", summary: "What a lease token can use now (for an MCP gateway's tools/list): whether it is active, and each granted, not denied tool with its resource scope, step-up, risk and read-only flag. Takes no budget, writes nothing; the decision at call time still rules", auth: "enforcement-point", scope: "decisions:write", body: IntrospectRequest, response: IntrospectResponse, errors: [400, 401, 403, 413] }),

  listAgents: defineOperation({ method: "GET", path: "/api/v1/agents", tag: "agents", summary: "The agent inventory", auth: "session", permission: "agents.read", query: AgentListQuery, response: z.object({ agents: z.array(AgentView) }) }),
  createAgent: defineOperation({ method: "POST", path: "/api/v1/agents", tag: "agents", summary: "Register an agent", auth: "session", permission: "agents.manage", body: AgentCreate, response: z.object({ agent: AgentView }), responseStatus: 201, errors: [400, 403, 409, 422] }),
  getAgent: defineOperation({ method: "GET", path: "/api/v1/agents/{id}", tag: "agents", summary: "One agent", auth: "session", permission: "agents.read", params: AgentParams, response: z.object({ agent: AgentView }), errors: [404] }),
  updateAgent: defineOperation({ method: "PATCH", path: "/api/v1/agents/{id}", tag: "agents", summary: "Edit, suspend or retire an agent (suspending revokes its live leases)", auth: "session", permission: "agents.manage", params: AgentParams, body: AgentPatch, response: z.object({ agent: AgentView }), errors: [400, 403, 404, 409, 422] }),

  listTools: defineOperation({ method: "GET", path: "/api/v1/tools", tag: "tools", summary: "The tool catalog", auth: "session", permission: "tools.read", response: z.object({ tools: z.array(ToolView) }) }),
  upsertTool: defineOperation({ method: "POST", path: "/api/v1/tools", tag: "tools", summary: "Add or edit a catalog tool", auth: "session", permission: "tools.manage", body: ToolUpsert, response: z.object({ tool: ToolView }), errors: [400, 403] }),

  listPeople: defineOperation({ method: "GET", path: "/api/v1/people", tag: "people", summary: "People and their roles", auth: "session", permission: "people.manage", response: z.object({ people: z.array(PersonView) }) }),
  createPerson: defineOperation({ method: "POST", path: "/api/v1/people", tag: "people", summary: "Add a person", auth: "session", permission: "people.manage", body: PersonCreate, response: z.object({ person: PersonView }), responseStatus: 201, errors: [400, 403, 409] }),
  updatePerson: defineOperation({ method: "PATCH", path: "/api/v1/people/{id}", tag: "people", summary: "Change a role, disable (ends their sessions) or reset a password", auth: "session", permission: "people.manage", params: PersonParams, body: PersonPatch, response: z.object({ person: PersonView }), errors: [400, 403, 404, 422] }),

  listEnforcementPoints: defineOperation({ method: "GET", path: "/api/v1/enforcement-points", tag: "enforcement-points", summary: "Enforcement-point keys", auth: "session", permission: "enforcement-points.manage", response: z.object({ enforcementPoints: z.array(EnforcementPointView) }) }),
  createEnforcementPoint: defineOperation({ method: "POST", path: "/api/v1/enforcement-points", tag: "enforcement-points", summary: "Make a key (the plaintext is in this response only)", auth: "session", permission: "enforcement-points.manage", body: EnforcementPointCreate, response: z.object({ enforcementPoint: EnforcementPointView, key: z.string() }), responseStatus: 201, errors: [400, 403] }),
  revokeEnforcementPoint: defineOperation({ method: "DELETE", path: "/api/v1/enforcement-points/{id}", tag: "enforcement-points", summary: "Revoke a key", auth: "session", permission: "enforcement-points.manage", params: EnforcementPointParams, response: z.object({ enforcementPoint: EnforcementPointView }), errors: [403, 404, 409] }),

  createEscalation: defineOperation({ method: "POST", path: "/api/v1/escalations", tag: "escalations", summary: "Ask people: step-up for one call, or more permission for the lease", auth: "enforcement-point", scope: "escalations:write", body: EscalationCreate, response: z.object({ escalation: EscalationView }), responseStatus: 201, errors: [400, 401, 403, 404, 409, 422] }),
  getEscalation: defineOperation({ method: "GET", path: "/api/v1/escalations/{id}", tag: "escalations", summary: "One escalation; with waitSeconds, a long-poll that returns as soon as its status changes", auth: "session-or-enforcement-point", permission: "approvals.read", scope: "escalations:write", params: EscalationParams, query: WaitQuery, response: z.object({ escalation: EscalationView }), errors: [401, 403, 404, 503] }),
  escalationStream: defineOperation({ method: "GET", path: "/api/v1/escalations/stream", tag: "escalations", summary: "Server-Sent Events for the approval queue: escalation.created, escalation.voted, escalation.decided", auth: "session", permission: "approvals.read" }),
  listEscalations: defineOperation({ method: "GET", path: "/api/v1/escalations", tag: "escalations", summary: "The approval queue and its history", auth: "session", permission: "approvals.read", query: EscalationListQuery, response: z.object({ escalations: z.array(z.unknown()) }) }),
  voteEscalation: defineOperation({ method: "POST", path: "/api/v1/escalations/{id}/votes", tag: "escalations", summary: "Approve or deny (one vote per person; never your own lease)", auth: "session", permission: "approvals.decide", params: EscalationParams, body: VoteRequest, response: z.object({ escalation: EscalationView }), errors: [400, 403, 404, 409] }),

  listConnections: defineOperation({ method: "GET", path: "/api/v1/connections", tag: "connections", summary: "Upstream tool servers and their tool mapping (a key sees those assigned to it); env and header values are write-only, only their names are shown", auth: "session-or-enforcement-point", permission: "connections.manage", scope: "connections:read", response: z.object({ connections: z.array(ConnectionView) }), errors: [401, 403] }),
  createConnection: defineOperation({ method: "POST", path: "/api/v1/connections", tag: "connections", summary: "Add an upstream tool server (stdio or Streamable HTTP) and map its tools to catalog tools; unknown catalog tools or keys are 422", auth: "session", permission: "connections.manage", body: ConnectionCreate, response: z.object({ connection: ConnectionView }), responseStatus: 201, errors: [400, 403, 409, 422] }),
  getConnection: defineOperation({ method: "GET", path: "/api/v1/connections/{id}", tag: "connections", summary: "One connection (a key: only one assigned to it, else 404)", auth: "session-or-enforcement-point", permission: "connections.manage", scope: "connections:read", params: ConnectionParams, response: z.object({ connection: ConnectionView }), errors: [401, 403, 404] }),
  updateConnection: defineOperation({ method: "PATCH", path: "/api/v1/connections/{id}", tag: "connections", summary: "Edit a connection; a transport given replaces the stored one with its env/header values", auth: "session", permission: "connections.manage", params: ConnectionParams, body: ConnectionPatch, response: z.object({ connection: ConnectionView }), errors: [400, 403, 404, 409, 422] }),
  deleteConnection: defineOperation({ method: "DELETE", path: "/api/v1/connections/{id}", tag: "connections", summary: "Remove a connection", auth: "session", permission: "connections.manage", params: ConnectionParams, response: z.object({ deleted: z.string() }), errors: [403, 404] }),
  testConnection: defineOperation({ method: "POST", path: "/api/v1/connections/{id}/test", tag: "connections", summary: "Connect to the upstream as the gateway would (stdio: runs its command on this server with its stored env; http: its URL and headers), list its tools and say which are mapped. An upstream that fails is 200 with ok false and the reason as text (stored values redacted); audited as connection.tested", auth: "session", permission: "connections.manage", params: ConnectionParams, body: ConnectionTestRequest, response: ConnectionTestResult, errors: [400, 403, 404, 429] }),

  listCredentials: defineOperation({ method: "GET", path: "/api/v1/connections/{id}/credentials", tag: "credentials", summary: "A connection's credentials (retired ones too), without their values: those are write-only", auth: "session", permission: "connections.manage", params: ConnectionCredentialsParams, response: z.object({ credentials: z.array(CredentialView) }), errors: [403, 404] }),
  createCredential: defineOperation({ method: "POST", path: "/api/v1/connections/{id}/credentials", tag: "credentials", summary: "Store a credential for a connection, bound to catalog tools the connection maps (others: 422): static (value), obo (a JWT per call for audience), postgres-dynamic (adminUrl, groupRole, database: a login role per lease). The value is encrypted and never returned; a name taken on the connection is 409", auth: "session", permission: "connections.manage", params: ConnectionCredentialsParams, body: CredentialCreate, response: z.object({ credential: CredentialView }), responseStatus: 201, errors: [400, 403, 404, 409, 422] }),
  rotateCredential: defineOperation({ method: "POST", path: "/api/v1/connections/{id}/credentials/{cid}/rotate", tag: "credentials", summary: "Replace a credential's secret (static: value; postgres-dynamic: adminUrl); the next release uses it. obo: 422 (it holds no secret)", auth: "session", permission: "connections.manage", params: CredentialParams, body: CredentialRotate, response: z.object({ credential: CredentialView }), errors: [400, 403, 404, 422] }),
  retireCredential: defineOperation({ method: "DELETE", path: "/api/v1/connections/{id}/credentials/{cid}", tag: "credentials", summary: "Retire a credential: released no more, its secret erased (dynamic logins already made still end with their leases)", auth: "session", permission: "connections.manage", params: CredentialParams, response: z.object({ credential: CredentialView }), errors: [403, 404] }),
  releaseCredentials: defineOperation({ method: "POST", path: "/api/v1/credentials/release", tag: "credentials", summary: "For the enforcement point only, to inject (never to hand to the agent). { decisionId }: the credentials of the allowed call — only the key that received the allow, within LANYARD_CREDENTIAL_RELEASE_WINDOW_S (default 30 s), once, while the lease is live (active; or exhausted by the allows already given), for connections assigned to the key whose credential serves the decided tool. { leaseToken, connectionId }: session start of a stdio upstream — its env-injected static and postgres-dynamic credentials that serve a tool the active lease grants. 403: another key's decision, a deny or escalate, a bad lease token; 404: unknown decision or a connection not assigned to the key; 409: window passed, already released, lease revoked, completed, expired or exhausted. Audited as credential.released (never the value)", auth: "enforcement-point", scope: "credentials:use", body: ReleaseRequest, response: ReleaseResponse, errors: [400, 401, 403, 404, 409] }),

  listWebhooks: defineOperation({ method: "GET", path: "/api/v1/webhooks", tag: "webhooks", summary: "Webhook endpoints and their recent deliveries", auth: "session", permission: "webhooks.manage", response: z.object({ webhooks: z.array(WebhookView) }) }),
  createWebhook: defineOperation({ method: "POST", path: "/api/v1/webhooks", tag: "webhooks", summary: "Add a webhook (its signing secret is in this response only); a URL aimed at an internal address is 422", auth: "session", permission: "webhooks.manage", body: WebhookCreate, response: z.object({ webhook: WebhookView, secret: z.string() }), responseStatus: 201, errors: [400, 403, 422] }),
  deleteWebhook: defineOperation({ method: "DELETE", path: "/api/v1/webhooks/{id}", tag: "webhooks", summary: "Remove a webhook", auth: "session", permission: "webhooks.manage", params: WebhookParams, response: z.object({ deleted: z.string() }), errors: [403, 404] }),

  listAuditEvents: defineOperation({ method: "GET", path: "/api/v1/audit/events", tag: "audit", summary: "Audit events, newest first, filtered, with a keyset cursor", auth: "session", permission: "audit.read", query: AuditPageQuery, response: z.object({ events: z.array(AuditEventView), nextCursor: z.string().nullable() }), errors: [400, 403] }),
  exportAudit: defineOperation({ method: "GET", path: "/api/v1/audit/export", tag: "audit", summary: "Stream every event of a filter as JSON Lines or CSV", auth: "session", permission: "audit.read", query: AuditExportQuery, errors: [400, 403] }),
  verifyAudit: defineOperation({ method: "GET", path: "/api/v1/audit/verify", tag: "audit", summary: "Recompute the hash chain and check every signed checkpoint (and a witness's, if given): ok, events checked, the first broken event, and whether checkpoints have stopped", auth: "session", permission: "audit.read", query: AuditVerifyQuery, response: z.object({ ok: z.boolean(), checked: z.number(), firstBrokenSeq: z.string().nullable(), detail: z.string(), unsealed: z.number(), checkpoints: z.number(), checkpointStale: z.boolean(), lastCheckpointAt: z.string().nullable() }), errors: [400, 403] }),
  listCheckpoints: defineOperation({ method: "GET", path: "/api/v1/audit/checkpoints", tag: "audit", summary: "Signed checkpoints of the chain head (Ed25519 JWS, verifiable with the JWKS), for outside parties", auth: "session", permission: "audit.read", response: z.object({ checkpoints: z.array(z.object({ id: z.string(), headSeq: z.string(), headHash: z.string(), count: z.string(), kid: z.string(), jws: z.string(), createdAt: z.string() })) }) }),
  explainDecision: defineOperation({ method: "GET", path: "/api/v1/decisions/{id}/explain", tag: "audit", summary: "Who delegated, who approved, which agent, which grants were in force, which token — for one decision", auth: "session", permission: "audit.read", params: z.object({ id: z.string().regex(/^dec_[a-z0-9]{1,40}$/) }), errors: [403, 404] }),

  runEvents: defineOperation({ method: "GET", path: "/api/v1/runs/{id}/events", tag: "runs", summary: "Server-Sent Events of a run and its subagents: lease.issued, lease.delegated, decision, escalation.created, escalation.decided, lease.revoked, lease.ended (id = audit seq; resume with Last-Event-ID)", auth: "session", permission: "runs.read", params: z.object({ id: z.string().regex(/^run_[a-z0-9_]{1,60}$/) }), errors: [403, 404] }),

  dashboard: defineOperation({ method: "GET", path: "/api/v1/dashboard", tag: "dashboard", summary: "Decisions per minute, top denied tools, escalation times, active leases, standing exposure, dormant and orphaned agents", auth: "session", permission: "console.view" }),

  rotateSigningKey: defineOperation({
    method: "POST",
    path: "/api/v1/signing-keys/rotate",
    tag: "keys",
    summary: "Rotate the lease-token signing key: the previous keys verify the tokens they signed until those expire, or, with compromised: true, are revoked at once",
    auth: "session",
    permission: "keys.rotate",
    body: z.object({ compromised: z.boolean().optional().describe("the previous keys are compromised: refuse their tokens now and drop them from the JWKS") }).strict(),
    response: z.object({ kid: z.string(), retired: z.array(z.string()), retiredAt: z.string() }),
    errors: [400, 403],
  }),
};
