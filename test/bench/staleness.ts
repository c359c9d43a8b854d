// Cross-replica staleness: two Berth processes on one S3 prefix and one PostgreSQL
// index (test/harness/postgres.ts). Each round moves a tag on one replica, then
// deletes a tag there, and polls the other every 5 ms (after reading the old
// answer, so its caches hold it) until it answers the new state. The time runs
// from the writer's answer to the first new answer on the reader.
import { HttpClient } from './http-client.js';
import { OCI_MANIFEST, pushSmallImage, putManifest, type SmallImage } from './registry-ops.js';
import type { Results } from './results.js';
import { startBerth, type S3Target } from './servers.js';
import { startPostgres } from '../harness/postgres.js';

const REPO = 'replicas/app';
export const STALENESS_ROW = 'cross-replica staleness: tag moves and deletes, PostgreSQL index';
const GIVE_UP_MS = 5000;

async function tagDigest(client: HttpClient, tag: string): Promise<string | undefined> {
  const res = await client.request('HEAD', `/v2/${REPO}/manifests/${tag}`, { headers: { Accept: OCI_MANIFEST } });
  return res.status === 200 ? String(res.headers['docker-content-digest']) : undefined;
}

/** Milliseconds until `seen` holds (GIVE_UP_MS when it never does). */
async function delayUntil(seen: () => Promise<boolean>): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < GIVE_UP_MS) {
    if (await seen()) return performance.now() - start;
    await new Promise((r) => setTimeout(r, 5));
  }
  return GIVE_UP_MS;
}

export async function runStaleness(s3: S3Target, image: SmallImage, rounds: number, results: Results, log: (line: string) => void): Promise<void> {
  const pg = await startPostgres();
  try {
    const berthConfig = { metadata: { engine: 'postgres', postgres: { url: await pg.createDatabase('replicas') } } };
    const replicas = [await startBerth({ storage: 's3', s3, s3Prefix: 'replicas', berthConfig }), await startBerth({ storage: 's3', s3, s3Prefix: 'replicas', berthConfig })];
    const clients = replicas.map((r) => new HttpClient(r.url, 4));
    try {
      await pushSmallImage(clients[0], REPO, image, 'base');
      const delays: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const [writer, reader] = round % 2 === 0 ? clients : [clients[1], clients[0]];
        const extra = `gone-${round}`;
        await putManifest(writer, REPO, image, extra);
        const body = Buffer.from(JSON.stringify({ ...JSON.parse(image.manifest.toString()) as object, annotations: { round: String(round) } }));
        await tagDigest(reader, 'moving');
        await delayUntil(async () => (await tagDigest(reader, extra)) !== undefined);
        const put = await writer.expect(201, 'PUT', `/v2/${REPO}/manifests/moving`, { body: [body], headers: { 'Content-Type': OCI_MANIFEST } });
        const digest = String(put.headers['docker-content-digest']);
        delays.push(await delayUntil(async () => (await tagDigest(reader, 'moving')) === digest));
        await writer.expect(202, 'DELETE', `/v2/${REPO}/manifests/${extra}`);
        delays.push(await delayUntil(async () => (await tagDigest(reader, extra)) === undefined));
      }
      delays.sort((a, b) => a - b);
      const pct = (p: number) => delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))];
      const name = STALENESS_ROW;
      results.record('s3', name, 'p50 ms', false, 'berth', pct(50));
      results.record('s3', name, 'p99 ms', false, 'berth', pct(99));
      results.record('s3', name, 'max ms', false, 'berth', delays.at(-1)!);
      log(`berth [s3] ${name}, ${rounds} rounds: p50 ${pct(50).toFixed(1)} ms p99 ${pct(99).toFixed(1)} ms max ${delays.at(-1)!.toFixed(1)} ms`);
    } finally {
      for (const c of clients) c.close();
      for (const r of replicas) await r.stop();
    }
  } finally {
    await pg.stop();
  }
}
