// npm run check:boundaries: the dependency rules of the code's layers, checked on every import.
// lib/ is the product and never imports the console (app/, components/); tests may cross layers.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

export type Rule = { from: string; forbid: string[]; why: string };
export type Violation = { file: string; specifier: string; target: string; rule: Rule };

export const RULES: Rule[] = [{ from: "lib/", forbid: ["app/", "components/"], why: "domain code never imports the console" }];

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
  const applying = rules.filter((r) => file.startsWith(r.from));
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

/** Checks every source file under the rules' folders of `root`. */
export function checkProject(root: string, rules: Rule[] = RULES): { files: number; violations: Violation[] } {
  const files: string[] = [];
  for (const from of new Set(rules.map((r) => r.from.replace(/\/$/, "")))) walk(root, from, files);
  files.splice(0, files.length, ...files.filter((f) => !EXEMPT.test(f)));
  const violations = files.flatMap((f) => checkFile(f, readFileSync(path.join(root, f), "utf8"), rules));
  return { files: files.length, violations };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const { files, violations } = checkProject(path.resolve(import.meta.dirname, ".."));
  for (const v of violations) process.stderr.write(`${v.file}: imports "${v.specifier}" (${v.target}): ${v.rule.why}\n`);
  process.stdout.write(`boundaries: ${files} files checked, ${violations.length} violation${violations.length === 1 ? "" : "s"}\n`);
  process.exit(violations.length ? 1 : 0);
}
