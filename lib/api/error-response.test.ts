import { describe, expect, it } from "vitest";
import { AppError, isStoreUnavailable } from "@/lib/errors";
import { toErrorResponse } from "@/lib/api/error-response";
import { findInError } from "@/lib/db-errors";

// The shapes below are what Prisma 7 with @prisma/adapter-pg throws (seen in this project's logs).
const prismaWrapped = (code: string, message: string) =>
  Object.assign(new Error("Invalid `prisma.$queryRaw()` invocation: Raw query failed."), {
    name: "PrismaClientKnownRequestError",
    code: "P2010",
    meta: { driverAdapterError: Object.assign(new Error(message), { name: "DriverAdapterError", cause: { originalCode: code, originalMessage: message, kind: "postgres", code } }) },
  });

describe("error mapping", () => {
  it.each([
    ["the database shutting down (57P03, nested by Prisma)", prismaWrapped("57P03", "the database system is shutting down")],
    ["an admin terminating the connection (57P01)", prismaWrapped("57P01", "terminating connection due to administrator command")],
    ["too many connections (53300)", prismaWrapped("53300", "sorry, too many clients already")],
    ["a refused connection", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })],
    ["a pool that cannot hand out a connection", new Error("timeout exceeded when trying to connect")],
  ])("answers %s with 503 store_unavailable, never 500", async (_name, err) => {
    expect(isStoreUnavailable(err)).toBe(true);
    const res = toErrorResponse(err);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.json()).toEqual({ error: { code: "store_unavailable", message: expect.any(String) } });
  });

  it("does not mistake a query error for an outage, and hides its details behind a 500", async () => {
    const err = prismaWrapped("42P01", 'relation "secret_table" does not exist');
    expect(isStoreUnavailable(err)).toBe(false);
    const res = toErrorResponse(err);
    expect(res.status).toBe(500);
    const body = await res.json();
    expect(body.error.code).toBe("internal");
    expect(JSON.stringify(body)).not.toMatch(/secret_table|prisma|\\.ts:/i);
  });

  it.each([
    ["a raw query's 23505, nested by Prisma", prismaWrapped("23505", 'duplicate key value violates unique constraint "users_email_key"')],
    ["Prisma's own P2002", Object.assign(new Error("Unique constraint failed on the fields: (`email`)"), { name: "PrismaClientKnownRequestError", code: "P2002", meta: { target: ["email"] } })],
  ])("answers a unique-key violation (%s) with 409 conflict naming nothing of the store", async (_name, err) => {
    const res = toErrorResponse(err);
    expect(res.status).toBe(409);
    const body = await res.json();
    expect(body).toEqual({ error: { code: "conflict", message: expect.any(String) } });
    expect(JSON.stringify(body)).not.toMatch(/users_email_key|duplicate key|prisma|email/i);
  });

  it("finds a matching object however deep, and survives cycles", () => {
    const inner = { code: "X1" };
    const cyclic: Record<string, unknown> = { a: { b: { cause: inner } } };
    cyclic.self = cyclic;
    expect(findInError(cyclic, (o) => o.code === "X1")).toBe(inner);
    expect(findInError(cyclic, (o) => o.code === "nope")).toBeUndefined();
    expect(findInError(Object.assign(new Error("outer"), { cause: Object.assign(new Error("inner"), { code: "23505" }) }), (o) => o.code === "23505")).toBeDefined();
  });

  it("maps an AppError to its status with issues", async () => {
    const res = toErrorResponse(new AppError("unprocessable", "nope", [{ path: ["a"], message: "bad" }]));
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ error: { code: "unprocessable", message: "nope", issues: [{ path: ["a"], message: "bad" }] } });
  });
});
