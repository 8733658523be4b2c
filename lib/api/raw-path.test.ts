import { describe, expect, it } from "vitest";
import { assertRoutablePath } from "@/lib/api/raw-path";

describe("assertRoutablePath", () => {
  it.each(["/api/v1/agents/%", "/api/v1/leases/lse_1%/revoke", "/%zz", "/api/v1/agents/%E0%A4%A", "/api/v1/agents/%C0%80", "/audit/%ED%A0%80?x=1"])("refuses %s with 400 invalid_request", (url) => {
    expect(() => assertRoutablePath(url)).toThrow(expect.objectContaining({ code: "invalid_request", status: 400 }));
  });
  it.each(["/", "/api/v1/agents/agt_1", "/api/v1/audit/events?q=100%", "/runs/run_a%20b", "/api/v1/agents/%25"])("lets %s through", (url) => {
    expect(() => assertRoutablePath(url)).not.toThrow();
  });
});
