// In-process registry for HTTP-level tests, plus small push helpers over fetch.
import { createWriteStream } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '#contract/config/load.js';
import type { RegistryConfigInput } from '#contract/config/schema.js';
import { createLogger } from '../../../registry/src/log.js';
import { startRegistry, type RunningRegistry } from '../../../registry/src/server.js';

export interface TestRegistry {
  readonly url: string;
  readonly dataDir: string;
  readonly running: RunningRegistry;
  stop(): Promise<void>;
}

export async function startTestRegistry(overrides: RegistryConfigInput = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-api-'));
  const dataDir = join(dir, 'data');
  const config = parseConfig({
    ...overrides,
    http: { ...overrides.http, listen: '127.0.0.1:0' },
    storage: overrides.storage ?? { filesystem: { root: dataDir } },
    log: { level: 'silent', ...overrides.log },
    uploads: { purgeIntervalSeconds: 0, ...overrides.uploads },
  });
  // BERTH_TEST_LOG_FILE=path appends the registry's warnings and errors there, to explain a failure.
  const logFile = process.env.BERTH_TEST_LOG_FILE;
  const running = await startRegistry(config, { log: logFile ? createLogger('warn', createWriteStream(logFile, { flags: 'a' })) : createLogger('silent') });
  return {
    url: running.url, dataDir, running,
    stop: async () => {
      await running.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export async function pushBlob(url: string, repo: string, content: Buffer): Promise<string> {
  const digest = sha256(content);
  const res = await fetch(`${url}/v2/${repo}/blobs/uploads/?digest=${digest}`, {
    method: 'POST', body: content, headers: { 'Content-Type': 'application/octet-stream' },
  });
  if (res.status !== 201) throw new Error(`blob push failed: ${res.status} ${await res.text()}`);
  return digest;
}

export interface PushedImage {
  readonly digest: string;
  readonly manifest: Buffer;
  readonly config: string;
  readonly layers: string[];
}

/** Pushes a small OCI image (config + `layers` random layers) and tags it. */
export async function pushImage(url: string, repo: string, tag: string, options: { layers?: number; subject?: { digest: string; size: number; mediaType: string }; artifactType?: string } = {}): Promise<PushedImage> {
  const configBody = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', n: randomBytes(4).toString('hex') }));
  const config = await pushBlob(url, repo, configBody);
  const layerBodies = Array.from({ length: options.layers ?? 1 }, () => randomBytes(1024));
  const layers: string[] = [];
  for (const l of layerBodies) layers.push(await pushBlob(url, repo, l));
  const doc: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: configBody.length },
    layers: layers.map((d) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: d, size: 1024 })),
  };
  if (options.subject) doc.subject = options.subject;
  if (options.artifactType) doc.artifactType = options.artifactType;
  const manifest = Buffer.from(JSON.stringify(doc));
  const res = await fetch(`${url}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT', body: manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
  });
  if (res.status !== 201) throw new Error(`manifest push failed: ${res.status} ${await res.text()}`);
  return { digest: sha256(manifest), manifest, config, layers };
}

/** Asserts an OCI error response and returns its body. */
export async function expectError(res: Response, status: number, code: string): Promise<{ errors: { code: string; message: string; detail?: unknown }[] }> {
  const text = await res.text();
  expect({ status: res.status, body: text }).toEqual({ status, body: expect.any(String) });
  if (res.headers.get('content-type')?.startsWith('application/json') && text) {
    const body = JSON.parse(text);
    expect(body.errors[0].code).toBe(code);
    return body;
  }
  return { errors: [] };
}

/** A JSON response body, loosely typed for assertions. */
export async function body(res: Response): Promise<any> {
  return res.json();
}
