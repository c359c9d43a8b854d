// What the supply-chain features stored about manifests: scan results (a report
// per digest, made against a vulnerability database; for what is not an image,
// its not-applicable inventory record) and signature verdicts (per
// repository, digest and key set). Rows come back as stored, the JSON parsed; what a report
// or a verdict means is read by the callers (read/supply-chain.ts).
import type { Db } from '../engine/engine.js';
import { chunks, IN_LIST } from '../engine/statement-shapes.js';
import type { ScanResult, SignatureVerdict } from '../types.js';
import { parseJson } from './rows.js';

export async function scanResults(db: Db, digests: readonly string[]): Promise<Map<string, ScanResult>> {
  const out = new Map<string, ScanResult>();
  const unique = [...new Set(digests)];
  for (const slice of chunks(unique, IN_LIST)) {
    const rows = await db.selectFrom('scan_results').selectAll().where('digest', 'in', slice).execute();
    for (const r of rows) {
      // One row per database a digest was matched against: the newest is the current answer.
      const known = out.get(r.digest);
      if (known && known.updatedAt >= Number(r.updated_at)) continue;
      out.set(r.digest, { digest: r.digest, dbDigest: r.db_digest, status: r.status, report: parseJson<unknown>(r.report), updatedAt: Number(r.updated_at) });
    }
  }
  // What is not an image is known as such before any database is loaded (then dbDigest is empty).
  const unmatched = unique.filter((d) => !out.has(d));
  for (const slice of chunks(unmatched, IN_LIST)) {
    const rows = await db.selectFrom('inventories').select(['digest', 'body', 'created_at'])
      .where('kind', '=', 'not-applicable').where('digest', 'in', slice).execute();
    for (const r of rows) {
      out.set(r.digest, { digest: r.digest, dbDigest: '', status: 'not-applicable', report: { reason: r.body ?? 'not a container image' }, updatedAt: Number(r.created_at) });
    }
  }
  return out;
}

/**
 * Every key set's verdict on each digest as checked in `repo`, in key-set order.
 * A verdict is about one repository's signatures (cosign's tags and the referrers
 * there), so the same digest pushed to several repositories has a verdict in each:
 * another repository's is neither this one's answer nor the caller's to see.
 */
export async function signatureVerdicts(db: Db, repo: string, digests: readonly string[]): Promise<Map<string, SignatureVerdict[]>> {
  const out = new Map<string, SignatureVerdict[]>();
  const unique = [...new Set(digests)];
  for (const slice of chunks(unique, IN_LIST)) {
    const rows = await db.selectFrom('signature_verdicts').selectAll().where('repo', '=', repo).where('digest', 'in', slice)
      .orderBy('digest').orderBy('keyset').execute();
    for (const r of rows) {
      const list = out.get(r.digest) ?? [];
      list.push({ digest: r.digest, keyset: r.keyset, verdict: parseJson<unknown>(r.verdict), updatedAt: Number(r.updated_at) });
      out.set(r.digest, list);
    }
  }
  return out;
}
