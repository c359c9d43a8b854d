// Shared by the mirroring tests: upstream images seeded with crane, a cache
// configured for upstreams behind fault proxies, pulls over plain HTTP with digest
// checks, and a webhook receiver for the cache's CloudEvents.
import { createHash } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegistryConfigInput } from '#contract/config/schema.js';
import { OciLayout, type Descriptor } from '../../harness/oci-layout.js';
import { runOk } from '../../harness/tools.js';

export interface SeededImage {
  /** Digest of the top manifest (the index for a multi-platform image). */
  readonly digest: string;
  readonly layout: OciLayout;
  /** Per platform ("linux/amd64"): manifest digest, config and layer digests. */
  readonly platforms: Record<string, { manifest: string; blobs: string[] }>;
}

function blobsOf(layout: OciLayout, manifest: Descriptor): string[] {
  const doc = JSON.parse(layout.blob(manifest.digest).toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
  return [doc.config.digest, ...doc.layers.map((l) => l.digest)];
}

/** Pushes an image (several platforms → an index) to `host/repo:tag` with crane. */
export async function seedImage(host: string, repo: string, tag: string,
  options: { layers?: number; layerSize?: number; platforms?: string[]; uncompressed?: boolean } = {}): Promise<SeededImage> {
  const layout = new OciLayout(await mkdtemp(join(tmpdir(), 'berth-seed-')));
  const platforms = options.platforms ?? ['linux/amd64'];
  const images = platforms.map((p) => layout.image({
    layers: options.layers ?? 2, layerSize: options.layerSize ?? 4096, os: p.split('/')[0], architecture: p.split('/')[1], uncompressed: options.uncompressed,
  }));
  const out: SeededImage['platforms'] = {};
  images.forEach((img, i) => { out[platforms[i]] = { manifest: img.digest, blobs: blobsOf(layout, img) }; });
  let digest: string;
  if (images.length === 1) {
    await layout.write(images[0], tag);
    await runOk('crane', ['push', layout.dir, `${host}/${repo}:${tag}`]);
    digest = images[0].digest;
  } else {
    await layout.writeImages(images);
    digest = (await runOk('crane', ['push', '--index', layout.dir, `${host}/${repo}:${tag}`])).trim().split('@')[1];
  }
  return { digest, layout, platforms: out };
}

export type UpstreamEntry = NonNullable<NonNullable<RegistryConfigInput['mirror']>['upstreams']>[number];

export const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface Fetched {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
}

export async function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Fetched> {
  const res = await fetch(url, { method, headers: { Accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json', ...headers } });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** Streams a blob and hashes it, without holding it in memory; resolves with its digest and size, or the error. */
export function hashBlob(url: string, headers: Record<string, string> = {}): Promise<{ status: number; digest?: string; size: number; error?: string }> {
  return new Promise((resolve) => {
    const req = request(url, { headers }, (res) => {
      const hash = createHash('sha256');
      let size = 0;
      res.on('data', (c: Buffer) => { size += c.length; hash.update(c); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, digest: `sha256:${hash.digest('hex')}`, size }));
      res.on('error', (err) => resolve({ status: res.statusCode ?? 0, size, error: err.message }));
      res.on('aborted', () => resolve({ status: res.statusCode ?? 0, size, error: 'aborted' }));
    });
    req.on('error', (err) => resolve({ status: 0, size: 0, error: err.message }));
    req.end();
  });
}

/** A webhook receiver: every CloudEvent it got. */
export interface Receiver {
  readonly url: string;
  readonly events: Array<{ type: string; subject?: string; data: Record<string, unknown> }>;
  stop(): Promise<void>;
}

export async function webhookReceiver(): Promise<Receiver> {
  const events: Receiver['events'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      events.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/events`, events, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Counter value of berth_cache_requests_total for an upstream and result, from /metrics text. */
export function cacheRequests(metricsText: string, upstream: string, result: string): number {
  const line = metricsText.split('\n').find((l) => l.startsWith('berth_cache_requests_total{') && l.includes(`upstream="${upstream}"`) && l.includes(`result="${result}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
