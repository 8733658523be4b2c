import { z } from "zod";
import { defineOperation } from "@/lib/api/operation";
import { ApprovalRouteCreate, ApprovalRouteParams, ApprovalRoutePatch, ApprovalRouteView } from "@/lib/routing/schemas";

// Approval routing (issue 17): admins say which groups are asked, how many must agree and for how long.
export const routingOperations = {
  listApprovalRoutes: defineOperation({ method: "GET", path: "/api/v1/approval-routes", tag: "approval-routes", summary: "Approval routes in the order they are tried (the first whose agent, tool, risk and environment all match assigns the request; none: the agent owner's groups, else any approver)", auth: "session", permission: "people.manage", response: z.object({ routes: z.array(ApprovalRouteView) }) }),
  createApprovalRoute: defineOperation({ method: "POST", path: "/api/v1/approval-routes", tag: "approval-routes", summary: "Add a route (conditions left out match anything); unknown groups or agent are 422. Audited as approval_route.created", auth: "session", permission: "people.manage", body: ApprovalRouteCreate, response: z.object({ route: ApprovalRouteView }), responseStatus: 201, errors: [400, 403, 422] }),
  updateApprovalRoute: defineOperation({ method: "PATCH", path: "/api/v1/approval-routes/{id}", tag: "approval-routes", summary: "Change a route (its position reorders it); applies to requests opened afterwards. Audited as approval_route.updated", auth: "session", permission: "people.manage", params: ApprovalRouteParams, body: ApprovalRoutePatch, response: z.object({ route: ApprovalRouteView }), errors: [400, 403, 404, 422] }),
  deleteApprovalRoute: defineOperation({ method: "DELETE", path: "/api/v1/approval-routes/{id}", tag: "approval-routes", summary: "Delete a route; requests already assigned keep their assignment. Audited as approval_route.deleted", auth: "session", permission: "people.manage", params: ApprovalRouteParams, response: z.object({ deleted: z.string() }), errors: [403, 404] }),
};
