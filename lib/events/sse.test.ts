import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { sseResponse } from "@/lib/events/sse";

async function firstError(start: () => Promise<() => void>): Promise<string> {
  const res = sseResponse(new AbortController().signal, start);
  const text = await res.text();
  const m = /event: error\ndata: (.*)\n/.exec(text);
  return (JSON.parse(m![1]!) as { message: string }).message;
}

describe("sseResponse", () => {
  it("tells the client its own errors, but never a driver's message (it may quote the database)", async () => {
    expect(await firstError(async () => { throw new AppError("not_found", "run run_x not found"); })).toBe("run run_x not found");
    expect(await firstError(async () => { throw new Error('duplicate key value violates unique constraint "users_email_key" Key (email)=(a@b.c)'); })).toBe("stream failed");
  });
});
