import { eventDigest, gapHash, GENESIS, linkHash, type ChainedEvent } from "@/lib/audit/chain";

export type ExportHead = { headSeq: bigint; headHash: string; count: bigint };

/**
 * The chain's head at `headSeq`, recomputed from a complete JSON Lines export (no filter, so from
 * seq 1) with nothing but the export: what an outside party does to hold a signed checkpoint against
 * the log. A seq missing from the export is taken as a gap (an insert that rolled back); an event
 * deleted from the log is missing too, and then the head differs from the checkpoint's.
 */
export function headFromExport(lines: Iterable<string>, headSeq: bigint): ExportHead {
  let hash = GENESIS;
  let expected = 1n;
  let count = 0n;
  for (const line of lines) {
    if (!line.trim()) continue;
    const v = JSON.parse(line) as Omit<ChainedEvent, "seq" | "at"> & { seq: string; at: string };
    const seq = BigInt(v.seq);
    if (seq > headSeq) break;
    if (seq < expected) throw new Error(`seq ${seq} out of order: the export must be complete and oldest first`);
    for (; expected < seq; expected++) hash = gapHash(hash, expected);
    hash = linkHash(hash, eventDigest({ ...v, seq, at: new Date(v.at) }));
    count++;
    expected = seq + 1n;
  }
  for (; expected <= headSeq; expected++) hash = gapHash(hash, expected);
  return { headSeq, headHash: hash, count };
}
