// Push latency with scan on push on and off: the same images (each one new
// content, so no layer is cached by an earlier scan) pushed to a Berth scanning
// them and to one that does not, alternating which goes first. A push is
// client-observed: every blob uploaded, then the manifest PUT, until its answer.
// Two ways:
//   - settled: the next push starts when the previous image's scan has finished
//     (what scan on push adds to the write path itself);
//   - back to back: pushes follow each other at once, so scans run beside the
//     next pushes on the same cores (what a busy CI sees).
// The scan's own completion time (manifest PUT answered → result stored) is
// reported separately, with the server's own scan duration.
import { OciClient, type Image } from '../harness/oci-client.js';
import { percentile, scanDurationTotals, scanResultTime, type SecurityServers } from './security-registry.js';
import type { ServerUnderTest } from './servers.js';

export interface PushFigures {
  readonly image: string;
  readonly runs: number;
  readonly mode: 'settled' | 'back to back';
  /** Client-observed push, ms: scanning on / off. */
  readonly on: { p50: number; p95: number };
  readonly off: { p50: number; p95: number };
  /** Manifest PUT answered → scan result stored, ms (settled mode only). */
  readonly scanDone?: { p50: number; p95: number };
  /** Mean of berth_scan_duration_seconds over these scans, ms. */
  readonly serverScanMeanMs: number;
}

async function timedPush(server: ServerUnderTest, repo: string, tag: string, image: Image): Promise<{ ms: number; answeredAt: number }> {
  const client = new OciClient(server.url);
  const t0 = performance.now();
  const res = await client.push(repo, tag, image);
  const ms = performance.now() - t0;
  if (res.status !== 201) throw new Error(`push to ${server.name} ${repo}:${tag} answered ${res.status}: ${res.text.slice(0, 300)}`);
  return { ms, answeredAt: Date.now() };
}

const summary = (values: number[]) => ({ p50: percentile(values, 50), p95: percentile(values, 95) });

export async function runPushCase(servers: SecurityServers, name: string, images: readonly Image[], mode: PushFigures['mode'], log: (line: string) => void): Promise<PushFigures> {
  const { scanning, plain } = servers;
  const repo = `bench/${name.replace(/[^a-z0-9]+/g, '-')}-${mode === 'settled' ? 'settled' : 'b2b'}`;
  const on: number[] = [];
  const off: number[] = [];
  const scanDone: number[] = [];
  // The first image warms both servers up (JIT, connections, the database's first lookups) and is not recorded.
  const [warmup, ...measured] = images;
  for (const server of [scanning, plain]) await timedPush(server, repo, 'warmup', warmup);
  await scanResultTime(scanning, repo, warmup.digest);
  const before = await scanDurationTotals(scanning);
  if (mode === 'settled') {
    for (const [i, image] of measured.entries()) {
      for (const server of i % 2 === 0 ? [scanning, plain] : [plain, scanning]) {
        const pushed = await timedPush(server, repo, `v${i}`, image);
        if (server === plain) {
          off.push(pushed.ms);
          continue;
        }
        on.push(pushed.ms);
        scanDone.push((await scanResultTime(scanning, repo, image.digest)) - pushed.answeredAt);
      }
    }
  } else {
    // Without scanning first, so no scan of the other server shares the cores with these pushes.
    for (const [i, image] of measured.entries()) off.push((await timedPush(plain, repo, `v${i}`, image)).ms);
    for (const [i, image] of measured.entries()) on.push((await timedPush(scanning, repo, `v${i}`, image)).ms);
    for (const image of measured) await scanResultTime(scanning, repo, image.digest);
  }
  const after = await scanDurationTotals(scanning);
  const scans = after.count - before.count;
  if (scans < measured.length) throw new Error(`${measured.length} images pushed, but only ${scans} scans finished`);
  const figures: PushFigures = {
    image: name, runs: measured.length, mode, on: summary(on), off: summary(off),
    ...(scanDone.length ? { scanDone: summary(scanDone) } : {}),
    serverScanMeanMs: ((after.seconds - before.seconds) / scans) * 1000,
  };
  const f = (x: { p50: number; p95: number }) => `p50 ${x.p50.toFixed(0)} ms, p95 ${x.p95.toFixed(0)} ms`;
  log(`push ${name} (${mode}, ${measured.length} runs): scanning on ${f(figures.on)}; off ${f(figures.off)}; ` +
    `p50 ${pct(figures.on.p50, figures.off.p50)}, p95 ${pct(figures.on.p95, figures.off.p95)}` +
    `${figures.scanDone ? `; scan done after the PUT's answer ${f(figures.scanDone)}` : ''}; server scan mean ${figures.serverScanMeanMs.toFixed(0)} ms`);
  return figures;
}

export function pct(on: number, off: number): string {
  const d = ((on - off) / off) * 100;
  return `${d >= 0 ? '+' : ''}${d.toFixed(1)} %`;
}
