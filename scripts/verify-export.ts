// npm run audit:verify-export -- <export.jsonl> <checkpoint.jws> <jwks.json>
// Checks a Lanyard audit log from outside Lanyard: the checkpoint's signature against the JWKS
// (GET /.well-known/jwks.json), then the chain recomputed from a complete JSON Lines export
// (GET /api/v1/audit/export?format=jsonl, no filter) against the head the checkpoint signs
// (GET /api/v1/audit/checkpoints, or the last line of a witness file: LANYARD_CHECKPOINT_WITNESS_FILE).
// Exit code 0 when they agree, 1 when they do not.
import { createReadStream, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { headFromExport } from "@/lib/audit/offline";
import { verifyCheckpointJws } from "@/lib/audit/checkpoints";

const [exportFile, jwsArg, jwksFile] = process.argv.slice(2);
if (!exportFile || !jwsArg || !jwksFile) {
  process.stderr.write("usage: npm run audit:verify-export -- <export.jsonl> <checkpoint.jws | file> <jwks.json>\n");
  process.exit(2);
}
// A witness file holds one checkpoint a line, oldest first: its last line is the newest head.
const jws = (jwsArg.split(".").length === 3 ? jwsArg : readFileSync(jwsArg, "utf8")).trim().split("\n").at(-1)!.trim();
const claims = await verifyCheckpointJws(jws, JSON.parse(readFileSync(jwksFile, "utf8")));
const lines: string[] = [];
for await (const line of createInterface({ input: createReadStream(exportFile) })) lines.push(line);
const head = headFromExport(lines, BigInt(claims.headSeq));
const ok = head.headHash === claims.headHash && head.count === BigInt(claims.count);
process.stdout.write(`checkpoint: signature valid, head seq ${claims.headSeq}, ${claims.count} events, hash ${claims.headHash}\n`);
process.stdout.write(`export:     ${head.count} events through seq ${claims.headSeq}, hash ${head.headHash}\n`);
process.stdout.write(ok ? "ok: the export is the log the checkpoint signed\n" : "MISMATCH: events were changed, removed or added before the checkpoint's head\n");
process.exit(ok ? 0 : 1);
