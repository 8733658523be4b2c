// npm run check:boundaries: the dependency rules of the code's layers, checked on every import.
// lib/ is the product and never imports the console (app/, components/); outside lib/api, it never
// imports the HTTP layer (lib/api) either, only the bottom layer (lib/errors.ts, lib/schemas/). Its
// modules import each other without cycles (a cycle of type-only imports counts too: move what both
// need to a module of its own, as lib/tokens/params.ts). Tests may cross layers.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

export type Rule = { from: string; except?: string[]; forbid: string[]; why: string };
export type Violation = { file: string; specifier: string; target: string; rule: Rule };

export const RULES: Rule[] = [
  { from: "lib/", forbid: ["app/", "components/"], why: "domain code never imports the console" },
  // The bottom layer (lib/errors.ts, lib/schemas/) serves both; the HTTP wrapper serves routes and server/.
  { from: "lib/", except: ["lib/api/"], forbid: ["lib/api/"], why: "domain code never imports the HTTP layer (lib/api: handler, operations, OpenAPI, responses)" },
];

const SOURCE = /\.(ts|tsx|mts|cts|js|jsx|mjs)$/;
const EXEMPT = /(\.test\.tsx?|\.spec\.tsx?)$/;

/** Every import, re-export, dynamic import() and require() of a source file, as written. */
export function importsOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/**
 * The project-relative path an import points at (posix separators), or undefined for a package.
 * `@/` is the project root (tsconfig's paths).
 */
export function resolveImport(fromFile: string, specifier: string): string | undefined {
  if (specifier.startsWith("@/")) return path.posix.normalize(specifier.slice(2));
  if (specifier.startsWith("./") || specifier.startsWith("../")) return path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), specifier));
  return undefined;
}

/** The violations of `rules` in one file (`file` project-relative, posix). */
export function checkFile(file: string, source: string, rules: Rule[] = RULES): Violation[] {
  if (EXEMPT.test(file)) return [];
  const applying = rules.filter((r) => file.startsWith(r.from) && !r.except?.some((e) => file.startsWith(e)));
  if (!applying.length) return [];
  const out: Violation[] = [];
  for (const specifier of importsOf(source)) {
    const target = resolveImport(file, specifier);
    if (target === undefined) continue;
    for (const rule of applying) {
      if (rule.forbid.some((f) => target === f.replace(/\/$/, "") || target.startsWith(f))) out.push({ file, specifier, target, rule });
    }
  }
  return out;
}

function walk(root: string, dir: string, files: string[]): void {
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "generated" || entry.name.startsWith(".")) continue;
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) walk(root, rel, files);
    else if (SOURCE.test(entry.name)) files.push(rel);
  }
}

/** The folder whose modules must not import each other in a cycle. */
export const ACYCLIC = "lib";

/**
 * The import cycles among `sources` (project-relative path → text): each is a set of modules that reach
 * one another, sorted, as found by Tarjan's strongly connected components.
 */
export function findCycles(sources: Map<string, string>): string[][] {
  const resolve = (target: string) => [`${target}.ts`, `${target}.tsx`, `${target}/index.ts`, target].find((c) => sources.has(c));
  const graph = new Map<string, string[]>();
  for (const [file, source] of sources) {
    graph.set(file, importsOf(source).flatMap((spec) => {
      const target = resolveImport(file, spec);
      const found = target === undefined ? undefined : resolve(target);
      return found ? [found] : [];
    }));
  }
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (let w = stack.pop()!; ; w = stack.pop()!) {
      onStack.delete(w);
      component.push(w);
      if (w === v) break;
    }
    if (component.length > 1 || graph.get(v)!.includes(v)) cycles.push(component.sort());
  };
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) visit(file);
  return cycles.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** Checks every source file under the rules' folders of `root`, and the modules of ACYCLIC for cycles. */
export function checkProject(root: string, rules: Rule[] = RULES): { files: number; violations: Violation[]; cycles: string[][] } {
  const files: string[] = [];
  for (const from of new Set([...rules.map((r) => r.from.replace(/\/$/, "")), ACYCLIC])) walk(root, from, files);
  const sources = new Map(files.filter((f) => !EXEMPT.test(f)).map((f) => [f, readFileSync(path.join(root, f), "utf8")] as const));
  const violations = [...sources].flatMap(([f, source]) => checkFile(f, source, rules));
  const cycles = findCycles(new Map([...sources].filter(([f]) => f.startsWith(`${ACYCLIC}/`))));
  return { files: sources.size, violations, cycles };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const { files, violations, cycles } = checkProject(path.resolve(import.meta.dirname, ".."));
  for (const v of violations) process.stderr.write(`${v.file}: imports "${v.specifier}" (${v.target}): ${v.rule.why}\n`);
  for (const c of cycles) process.stderr.write(`import cycle: ${c.join(" <-> ")}\n`);
  process.stdout.write(`boundaries: ${files} files checked, ${violations.length} violation${violations.length === 1 ? "" : "s"}, ${cycles.length} import cycle${cycles.length === 1 ? "" : "s"}\n`);
  process.exit(violations.length || cycles.length ? 1 : 0);
}
