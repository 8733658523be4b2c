import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { argumentsDigest as gatewayDigest } from "@/gateway/sdk";
import { argumentsDigest, withArgumentsDigest } from "@/lib/decisions/arguments";

describe("arguments digest", () => {
  it("is the sha-256 of RFC 8785 canonical JSON (sorted keys by UTF-16 units, no whitespace)", () => {
    // canonical: {"a":[1,"x",null],"b":{"c":true},"é":0.5}
    expect(argumentsDigest({ "é": 0.5, b: { c: true }, a: [1, "x", null] })).toBe("2849f95edc44bf0204a076453a938aa8153e2935b61796050d95db1d57e73db8");
  });

  it("agrees with the gateway SDK's own implementation on any JSON object (a third party computes the same digest)", () => {
    fc.assert(fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (args) => {
      expect(gatewayDigest(JSON.parse(JSON.stringify(args)))).toBe(argumentsDigest(JSON.parse(JSON.stringify(args))));
    }), { numRuns: 300 });
  });

  it("is filled in by Lanyard when the arguments are sent; a digest that disagrees is a 400", () => {
    const input = { leaseToken: "t", tool: "repo.read", arguments: { b: 1, a: 2 } };
    expect(withArgumentsDigest(input).argumentsDigest).toBe(argumentsDigest({ a: 2, b: 1 }));
    expect(() => withArgumentsDigest({ ...input, argumentsDigest: argumentsDigest({ a: 1 }) })).toThrow(/does not match/);
    expect(withArgumentsDigest({ leaseToken: "t", tool: "repo.read" }).argumentsDigest).toBeUndefined();
  });
});
