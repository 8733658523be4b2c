// What an enforcement-point key may be allowed to do. Pure, so console forms can list them too.
export const EP_SCOPES = ["decisions:write", "escalations:write", "leases:request", "leases:delegate", "leases:complete", "connections:read", "credentials:use"] as const;
export type EpScope = (typeof EP_SCOPES)[number];
