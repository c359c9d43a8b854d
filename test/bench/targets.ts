// The targets from the performance issue, checked against this run's figures
// (a report, never an assertion: the bench exits 0 either way).
import type { Profile } from './profiles.js';
import { MiB, type Results } from './results.js';

function ratio(b: number | undefined, d: number | undefined): string {
  return b === undefined || d === undefined || d === 0 ? 'n/a' : `${(b / d).toFixed(2)}x`;
}

const verdict = (ok: boolean | undefined) => (ok === undefined ? '  n/a' : ok ? ' PASS' : ' MISS');

export function evaluateTargets(results: Results, dists: readonly string[], profile: Profile): string[] {
  const fs = 'filesystem';
  const big = profile.bigBlob / MiB;
  const gib = (n: string) => results.rows.find((r) => r.storage === fs && r.workload.startsWith(n))?.workload;
  const pushRow = `monolithic push ${big} MiB x1 c=1`;
  const pullRow = `pull ${big} MiB x1 c=1 (monolithic-pushed)`;
  const imagePush = gib('crane push');
  const rssRow = gib('peak RSS');
  const out: string[] = ['targets (Berth vs each Distribution, this run):'];
  const v = (row: string | undefined, unit: string, server: string) => (row ? results.value(fs, row, unit, server) : undefined);
  const limit = results.limits.hashWriteServerMiBps;
  for (const d of dists) {
    const bPush = v(pushRow, 'MiB/s', 'berth');
    const dPush = v(pushRow, 'MiB/s', d);
    const uploadOk = bPush === undefined || dPush === undefined ? undefined : bPush >= 2 * dPush || (limit !== undefined && bPush >= 0.85 * limit);
    out.push(`${verdict(uploadOk)}  blob upload ${big} MiB >= 2x ${d} (${ratio(bPush, dPush)}) or >= 85% of hash+write limit (${limit ? `${((100 * (bPush ?? 0)) / limit).toFixed(0)}%` : 'n/a'})`);
    const bPull = v(pullRow, 'MiB/s', 'berth');
    const dPull = v(pullRow, 'MiB/s', d);
    out.push(`${verdict(bPull === undefined || dPull === undefined ? undefined : bPull >= dPull)}  blob download ${big} MiB >= 1.0x ${d} (${ratio(bPull, dPull)})`);
    const bImg = v(imagePush, 'MiB/s', 'berth');
    const dImg = v(imagePush, 'MiB/s', d);
    out.push(`${verdict(bImg === undefined || dImg === undefined ? undefined : bImg >= 1.5 * dImg)}  image push with crane >= 1.5x ${d} (${ratio(bImg, dImg)})`);
    for (const name of ['manifest GET by tag', 'manifest HEAD by tag', 'blob HEAD']) {
      const row = `${name} c=50`;
      const b = v(row, 'req/s', 'berth');
      const dr = v(row, 'req/s', d);
      const p99 = v(row, 'p99 ms', 'berth');
      const ok = b === undefined || dr === undefined || p99 === undefined ? undefined : b >= 5 * dr && p99 < 10;
      out.push(`${verdict(ok)}  ${name} >= 5x ${d} req/s (${ratio(b, dr)}) with p99 < 10 ms (berth p99 ${p99 ?? 'n/a'} ms)`);
    }
    const bRss = v(rssRow, 'MiB', 'berth');
    const dRss = v(rssRow, 'MiB', d);
    out.push(`${verdict(bRss === undefined || dRss === undefined ? undefined : bRss < dRss)}  peak RSS during image push below ${d} (${bRss?.toFixed(0) ?? 'n/a'} vs ${dRss?.toFixed(0) ?? 'n/a'} MiB)`);
  }
  const s3Pairs: [string, string][] = [
    [pushRow, 'blob upload'], [pullRow, 'blob download'], [imagePush ?? '', 'image push with crane'],
    [results.rows.find((r) => r.storage === fs && r.workload.startsWith('crane pull'))?.workload ?? '', 'image pull with crane'],
  ];
  for (const [row, name] of s3Pairs) {
    const onS3 = results.value('s3', row, 'MiB/s', 'berth');
    const onFs = results.value(fs, row, 'MiB/s', 'berth');
    out.push(`${verdict(onS3 === undefined || onFs === undefined ? undefined : onS3 >= 0.8 * onFs)}  berth ${name} on S3 >= 0.8x filesystem (${ratio(onS3, onFs)})`);
  }
  return out;
}
