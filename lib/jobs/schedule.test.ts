import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startJobs, type Job } from "@/lib/jobs/schedule";

async function until(cond: () => boolean, ms = 5_000): Promise<boolean> {
  for (const deadline = Date.now() + ms; !cond() && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 5));
  return cond();
}

describe("background jobs", () => {
  it("runs each job on its interval, never twice at once, and again after a failure; stop ends them all", async () => {
    let slowRuns = 0;
    let slowActive = 0;
    let slowMaxActive = 0;
    let release: () => void = () => {};
    const slow: Job = {
      name: "slow",
      everyMs: 5,
      run: async () => {
        slowRuns++;
        slowMaxActive = Math.max(slowMaxActive, ++slowActive);
        await new Promise<void>((r) => (release = r));
        slowActive--;
      },
    };
    let failing = 0;
    const errors: string[] = [];
    const flaky: Job = {
      name: "flaky",
      everyMs: 5,
      run: async () => {
        failing++;
        throw new Error(`failure ${failing}`);
      },
    };
    const stop = startJobs([slow, flaky], (job, err) => errors.push(`${job.name}: ${(err as Error).message}`));
    try {
      expect(await until(() => slowRuns === 1 && failing >= 3)).toBe(true);
      // Its turns came and went while the first run was still going: none of them started a second.
      expect(slowRuns).toBe(1);
      release();
      expect(await until(() => slowRuns === 2)).toBe(true);
      expect(slowMaxActive).toBe(1);
      expect(errors.slice(0, 3)).toEqual(["flaky: failure 1", "flaky: failure 2", "flaky: failure 3"]);
    } finally {
      stop();
      release();
    }
    const after = failing;
    // Letting time pass is the point here: a stopped job must not run again.
    await new Promise((r) => setTimeout(r, 50));
    expect(failing).toBe(after);
  });

  it("one file per job in lib/jobs, each listed in JOBS", () => {
    const dir = path.resolve(import.meta.dirname);
    const jobFiles = readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && f !== "index.ts" && f !== "schedule.ts");
    expect(jobFiles.length).toBeGreaterThanOrEqual(6);
    const index = readFileSync(path.join(dir, "index.ts"), "utf8");
    for (const file of jobFiles) {
      const source = readFileSync(path.join(dir, file), "utf8");
      const exported = [...source.matchAll(/export const (\w+): Job = /g)].map((m) => m[1]!);
      expect(exported, file).toHaveLength(1);
      expect(index, file).toContain(`import { ${exported[0]} } from "@/lib/jobs/${file.replace(/\.ts$/, "")}";`);
      expect(index, file).toMatch(new RegExp(`JOBS: readonly Job\\[\\] = \\[[^\\]]*\\b${exported[0]}\\b`));
    }
  });
});
