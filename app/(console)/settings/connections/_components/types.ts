import type { ConnectionTestResult, ConnectionView } from "@/lib/connections/schemas";
import type { CredentialView } from "@/lib/credentials/schemas";

export type { ConnectionTestResult, ConnectionView, CredentialView };
export type EpOption = { id: string; name: string; scopes: string[] };
export type CatalogTool = { name: string; risk: string };
