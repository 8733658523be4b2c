import { describe, expect, it } from "vitest";
import { z } from "zod";
import { MINUTES, SECONDS, formErrors, humanMessage, type FormSpec } from "./form-errors";
import { fromZod } from "@/lib/errors";
import { AgentCreate } from "@/lib/agents/schemas";
import { LeaseRequest } from "@/lib/leases/schemas";

const LEASE: FormSpec = {
  agentId: { label: "Agent", format: "choose an agent" },
  purpose: { label: "Purpose", required: "say what this run is for" },
  grants: { label: "Tools", items: ["tool", "tools"] },
  expiresIn: { label: "Expires in (minutes)", unit: MINUTES },
  maxToolCalls: { label: "Call budget" },
};
const RAW = /Too (small|big)|expected|>=|<=|expiresIn|_ id|Invalid/;

describe("form errors", () => {
  it("says the lease expiry in minutes, never seconds or the field's internal name", () => {
    const bad = LeaseRequest.safeParse({ agentId: "", purpose: "", environment: "staging", grants: [], expiresIn: 0, maxToolCalls: 30 });
    expect(bad.success).toBe(false);
    const f = formErrors(fromZod(bad.error!), LEASE);
    expect(f.field("expiresIn")).toBe("at least 1 minute");
    expect(f.field("grants")).toBe("choose at least one tool");
    expect(f.field("agentId")).toBe("choose an agent");
    expect(f.field("purpose")).toBe("at least 3 characters");
    expect(f.summary).toBe("Check these fields: Agent, Purpose, Tools, Expires in (minutes).");
    for (const k of Object.keys(LEASE)) expect(f.field(k) ?? "").not.toMatch(RAW);
    // The server's ceiling check counts seconds; the form counts minutes.
    const server = { message: "expiresIn: at most 14400 s for repo-agent", issues: [{ path: ["expiresIn"], message: "at most 14400 s for repo-agent" }] };
    expect(formErrors(server, LEASE).field("expiresIn")).toBe("at most 240 minutes for repo-agent");
    expect(humanMessage("Too big: expected number to be <=31622400", LEASE.expiresIn)).toBe("at most 527040 minutes");
    expect(humanMessage("Too small: expected number to be >=30", LEASE.expiresIn)).toBe("at least 1 minute");
    expect(humanMessage("Invalid input: expected int, received number", LEASE.expiresIn)).toBe("a whole number of minutes");
  });

  it("gives the agent form field-attached words for each of its checks", () => {
    const spec: FormSpec = {
      name: { label: "Name" },
      ownerId: { label: "Owner", format: "choose an owner" },
      environments: { label: "Environments", items: ["environment", "environments"] },
      "ceiling.tools": { label: "Ceiling tools", items: ["tool", "tools"] },
      "ceiling.maxExpiresIn": { label: "Max lease (seconds)", unit: SECONDS },
      "ceiling.maxToolCalls": { label: "Max tool calls per lease" },
    };
    const bad = AgentCreate.safeParse({ name: "x", ownerId: "", environments: [], ceiling: { tools: [], maxExpiresIn: 10, maxToolCalls: Number.NaN } });
    const f = formErrors(fromZod(bad.error!), spec);
    expect(f.field("environments")).toBe("choose at least one environment");
    expect(f.field("ownerId")).toBe("choose an owner");
    expect(f.field("ceiling.maxExpiresIn")).toBe("at least 60 seconds");
    expect(f.field("ceiling.maxToolCalls")).toBe("a number");
    expect(f.field("name")).toBe("lowercase letters, digits and dashes (2–63)");
    for (const k of Object.keys(spec)) expect(f.field(k) ?? "").not.toMatch(RAW);
    expect(f.unplaced).toEqual([]);
  });

  it("says issues no field shows once, in words, and passes a non-validation error's message through", () => {
    const bad = z.strictObject({ url: z.url(), other: z.email() }).safeParse({ url: "x", other: "y" });
    const f = formErrors(fromZod(bad.error!), { url: { label: "Endpoint URL" } });
    expect(f.field("url")).toBe("a full address, like https://example.com/hook");
    expect(f.unplaced).toEqual(["an email address, like name@example.com"]);
    expect(formErrors({ message: "You are not allowed to do this", issues: [] }, LEASE).summary).toBe("You are not allowed to do this");
    expect(formErrors(null, LEASE).summary).toBeNull();
    expect(humanMessage('Invalid option: expected one of "enforce"|"advisory"')).toBe("choose one of enforce, advisory");
    expect(humanMessage("Too small: expected string to have >=1 characters", { label: "Name", required: "give it a name" })).toBe("give it a name");
  });
});
