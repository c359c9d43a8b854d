// Garbage collection of a repository set: `repos` repositories of `images` small
// images each (a unique config and a unique layer: two blobs per image), then half
// of the manifests deleted, so half of the blobs are garbage. Berth collects
// online (`POST /admin/gc`, the server keeps serving, grace period 0 so fresh
// garbage counts); Distribution collects offline, as it must: the server is
// stopped and `registry garbage-collect` runs on its storage. Seeding is not timed.
import { spawnSync } from 'node:child_process';
import { HttpClient, pool } from './http-client.js';
import { OCI_MANIFEST, pushMonolithic, smallImage } from './registry-ops.js';
import type { Results } from './results.js';
import type { ServerUnderTest } from './servers.js';

/**
 * Distribution 2.8.2 sometimes answers a concurrent manifest DELETE with 500 after
 * deleting it; a client retries, and a 404 on the retry means it is gone.
 */
async function deleteManifest(client: HttpClient, repo: string, digest: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const res = await client.request('DELETE', `/v2/${repo}/manifests/${digest}`, { collect: true });
    if (res.status === 202 || (attempt > 1 && res.status === 404)) return;
    if (attempt === 3 || res.status < 500) throw new Error(`DELETE ${repo}@${digest}: ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
  }
}

async function seed(server: ServerUnderTest, repos: number, images: number): Promise<void> {
  const client = new HttpClient(server.url, 16);
  try {
    await pool(repos * images, 16, async (i) => {
      const repo = `gc/r${String(Math.floor(i / images)).padStart(3, '0')}`;
      const img = smallImage(1024);
      await pushMonolithic(client, repo, [img.config], img.configDigest);
      await pushMonolithic(client, repo, [img.layer], img.layerDigest);
      await client.expect(201, 'PUT', `/v2/${repo}/manifests/t${i}`, { body: [img.manifest], headers: { 'Content-Type': OCI_MANIFEST } });
      // Every other image is deleted again: its config and layer become garbage.
      if (i % 2 === 1) await deleteManifest(client, repo, img.manifestDigest);
    });
  } finally {
    client.close();
  }
}

interface GcFigures { seconds: number; blobsDeleted: number }

async function berthGc(server: ServerUnderTest): Promise<GcFigures> {
  const start = performance.now();
  const res = await fetch(`${server.url}/admin/gc`, { method: 'POST' });
  const seconds = (performance.now() - start) / 1000;
  if (res.status !== 200) throw new Error(`berth GC answered ${res.status}: ${await res.text()}`);
  const { report } = (await res.json()) as { report: { blobsDeleted: number } };
  return { seconds, blobsDeleted: report.blobsDeleted };
}

async function distributionGc(server: ServerUnderTest, binary: string): Promise<GcFigures> {
  await server.halt();
  const start = performance.now();
  const r = spawnSync(binary, ['garbage-collect', '--delete-untagged', server.configFile], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, OTEL_TRACES_EXPORTER: 'none' } });
  const seconds = (performance.now() - start) / 1000;
  if (r.status !== 0) throw new Error(`${server.name} garbage-collect exited ${r.status}: ${r.stderr.slice(-2000)}`);
  // "N blobs marked, M blobs and K manifests eligible for deletion"
  const m = /(\d+) blobs marked, (\d+) blobs and (\d+) manifests eligible for deletion/.exec(r.stdout + r.stderr);
  if (!m) throw new Error(`${server.name} garbage-collect printed no summary: ${(r.stdout + r.stderr).slice(-2000)}`);
  return { seconds, blobsDeleted: Number(m[2]) };
}

export async function runGcCase(servers: readonly ServerUnderTest[], binaries: Record<string, string>, repos: number, images: number,
  results: Results, progress: (line: string) => void): Promise<void> {
  const name = `garbage collection, ${repos} repositories, ${2 * repos * images} blobs, half unreferenced`;
  for (const server of servers) {
    const start = performance.now();
    await seed(server, repos, images);
    progress(`${server.name} [${server.storage}] seeded ${repos * images} images in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  }
  for (const server of servers) {
    const f = server.isBerth ? await berthGc(server) : await distributionGc(server, binaries[server.name]);
    results.record(server.storage, name, 'seconds', false, server.name, f.seconds);
    results.record(server.storage, name, 'blobs deleted', true, server.name, f.blobsDeleted);
    progress(`${server.name} [${server.storage}] GC (${server.isBerth ? 'online' : 'offline, server stopped'}): ${f.seconds.toFixed(2)} s, ${f.blobsDeleted} blobs deleted`);
  }
}
