// The real-client workload: a 1 GiB image (several random layers, written as an
// OCI image layout) pushed with `crane push` and pulled with `crane pull
// --format=oci`, while the server's peak RSS is sampled.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOk } from '../harness/tools.js';
import { cpuSeconds } from './cpu.js';
import { MiB, type Results } from './results.js';
import { RssSampler } from './rss.js';
import type { ServerUnderTest } from './servers.js';
import { tarHeader } from '../harness/oci-layout.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Writes an OCI layout with `layers` uncompressed tar layers of random content totalling about `totalBytes`. */
export async function writeImageLayout(totalBytes: number, layers: number): Promise<{ dir: string; bytes: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-image-'));
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const layerDescs: { mediaType: string; digest: string; size: number }[] = [];
  const fileBytes = Math.floor(totalBytes / layers / 512) * 512;
  let bytes = 0;
  for (let i = 0; i < layers; i++) {
    const hash = createHash('sha256');
    const tmp = join(blobs, `layer-${i}.tmp`);
    const handle = await open(tmp, 'w');
    const parts = [tarHeader(`layer-${i}.bin`, fileBytes, 0)];
    for (let done = 0; done < fileBytes; done += 8 * MiB) parts.push(randomBytes(Math.min(8 * MiB, fileBytes - done)));
    parts.push(Buffer.alloc(1024));
    let size = 0;
    for (const p of parts) {
      hash.update(p);
      await handle.write(p);
      size += p.length;
    }
    await handle.close();
    const digest = hash.digest('hex');
    await rename(tmp, join(blobs, digest));
    layerDescs.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${digest}`, size });
    bytes += size;
  }
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: {},
    rootfs: { type: 'layers', diff_ids: layerDescs.map((l) => l.digest) },
  }));
  await writeFile(join(blobs, sha256(config)), config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha256(config)}`, size: config.length },
    layers: layerDescs,
  }));
  await writeFile(join(blobs, sha256(manifest)), manifest);
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${sha256(manifest)}`, size: manifest.length }],
  }));
  return { dir, bytes };
}

export async function runImageCase(servers: readonly ServerUnderTest[], layout: { dir: string; bytes: number }, layers: number, repetitions: number,
  results: Results, progress: (line: string) => void): Promise<void> {
  const gib = (layout.bytes / 1024 ** 3).toFixed(2);
  const pushName = `crane push ${gib} GiB image (${layers} layers)`;
  const pullName = `crane pull --format=oci ${gib} GiB image`;
  const rssName = `peak RSS during ${gib} GiB crane push`;
  let turn = 0;
  for (let rep = 0; rep < repetitions; rep++) {
    const order = turn++ % 2 === 0 ? servers : [...servers].reverse();
    for (const server of order) {
      // A fresh repository per repetition, so crane finds no blob already there and uploads everything.
      const ref = `${server.host}/bench/image-r${rep}:latest`;
      const rss = new RssSampler(server.pid);
      const cpu0 = cpuSeconds(server.pid);
      const pushStart = performance.now();
      await runOk('crane', ['push', '--insecure', layout.dir, ref], { timeoutMs: 600_000 });
      const pushSeconds = (performance.now() - pushStart) / 1000;
      const peak = rss.stop();
      const pushCpu = cpuSeconds(server.pid) - cpu0;
      const out = await mkdtemp(join(tmpdir(), 'berth-bench-pull-'));
      const pullStart = performance.now();
      try {
        await runOk('crane', ['pull', '--insecure', '--format=oci', ref, join(out, 'layout')], { timeoutMs: 600_000 });
      } finally {
        await rm(out, { recursive: true, force: true });
      }
      const pullSeconds = (performance.now() - pullStart) / 1000;
      const mib = layout.bytes / MiB;
      results.record(server.storage, pushName, 'MiB/s', true, server.name, mib / pushSeconds);
      results.record(server.storage, pushName, 'server CPU s/GiB', false, server.name, (pushCpu * 1024) / mib);
      results.record(server.storage, pullName, 'MiB/s', true, server.name, mib / pullSeconds);
      results.record(server.storage, rssName, 'MiB', false, server.name, peak, 'worst');
      progress(`${server.name} [${server.storage}] image: push ${(mib / pushSeconds).toFixed(1)} MiB/s, pull ${(mib / pullSeconds).toFixed(1)} MiB/s, peak RSS ${peak.toFixed(0)} MiB`);
    }
  }
}
