import { describe, expect, it } from "vitest";
import { intentFromTaskRef, parseIntentFields } from "@/gateway/sdk";

describe("intentFromTaskRef: a spec's front matter as a lease's intent", () => {
  it("reads inline lists, block lists, quotes, comments and a count; ignores other keys and the body", () => {
    const spec = [
      "---",
      "title: Refresh Acme's invoices   # not part of the intent",
      "resources: [customers/acme/, 'invoices/acme/']",
      "tools:",
      "  - crm.read",
      '  - "billing.invoice_read" # a comment',
      "owners:",
      "  - maya@example.com",
      "dataClasses: [internal, confidential]",
      "expectedCalls: 40",
      "---",
      "# Body",
      "tools: [should.not_count]",
    ].join("\n");
    expect(intentFromTaskRef(spec)).toEqual({
      resources: ["customers/acme/", "invoices/acme/"],
      tools: ["crm.read", "billing.invoice_read"],
      dataClasses: ["internal", "confidential"],
      expectedCalls: 40,
    });
  });

  it("accepts snake_case keys, a single scalar as a one-item list, CRLF and a leading blank line", () => {
    expect(intentFromTaskRef("\r\n---\r\ndata_classes: public\r\nexpected_calls: '5'\r\n...\r\n")).toEqual({ dataClasses: ["public"], expectedCalls: 5 });
  });

  it("keeps a # inside quotes and drops duplicates", () => {
    expect(parseIntentFields('resources: ["tickets/#1", tickets/#1, "tickets/#1"]')).toEqual({ resources: ["tickets/#1"] });
  });

  it("is null without front matter, with an unclosed one, or with none of the intent's keys", () => {
    expect(intentFromTaskRef("# Just a spec\nresources: [a/]")).toBeNull();
    expect(intentFromTaskRef("---\nresources: [a/]\n")).toBeNull();
    expect(intentFromTaskRef("---\ntitle: x\n---\n")).toBeNull();
    expect(intentFromTaskRef("---\ntools: []\n---")).toBeNull();
  });

  it("refuses a count that is not a positive whole number, and an unclosed inline list", () => {
    expect(() => parseIntentFields("expectedCalls: many")).toThrow(/expectedCalls/);
    expect(() => parseIntentFields("expectedCalls: 2.5")).toThrow(/expectedCalls/);
    expect(() => parseIntentFields("tools: [a.b, c.d")).toThrow(/close/);
  });

  it("does not take an indented key or a nested list for one of the intent's", () => {
    expect(parseIntentFields("meta:\n  tools: [x.y]\nlinks:\n  - a\ntools: [crm.read]")).toEqual({ tools: ["crm.read"] });
  });
});
