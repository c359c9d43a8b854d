// A registry process with auth and a policy of three identities over four
// repositories, seeded with what the browsing API and the UI show: a base image
// and an image built on it (layer prefix and base annotations, history with
// created_by), a multi-arch index, an SBOM and a signature as referrers, a Helm
// chart, a tag moved three times, and as many extra tags as asked.
import { randomBytes } from 'node:crypto';
import type { RegistryConfigInput } from '#contract/config/schema.js';
import { ADMIN, authWorkspace, basic, robot, SERVICE, type AuthWorkspace } from '../auth/fixtures.js';
import { blob, OCI_INDEX, OCI_MANIFEST, OciClient, ociImage, randomBlob, type Blob, type Image } from '../../harness/oci-client.js';
import { startRegistryProcess, type RegistryProcess } from '../../harness/registry-process.js';

export const IDENTITIES = {
  alice: { username: 'alice', password: 'alice-secret-1' },
  bob: { username: 'bob', password: 'bob-secret-1' },
  carol: { username: 'carol', password: 'carol-secret-1' },
} as const;
/** The four repositories of the visibility matrix, and who may pull each (besides the admin). */
export const MATRIX: Readonly<Record<string, readonly string[]>> = {
  'team-a/app': ['alice'],
  'team-b/svc': ['bob'],
  'open/base': ['alice', 'bob', 'carol', 'anonymous'],
  'secret/db': [],
};
export const SBOM_TYPE = 'application/spdx+json';
export const SIGNATURE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';

export interface Seeded {
  readonly reg: RegistryProcess;
  readonly ws: AuthWorkspace;
  readonly admin: OciClient;
  readonly base: Image;
  readonly app: Image;
  readonly amd64: Image;
  readonly arm64: Image;
  readonly index: Blob;
  readonly sbom: Image;
  readonly signature: Image;
  readonly chart: Image;
  /** The digests `team-a/app:release` pointed to, oldest first (it ends on the last). */
  readonly releases: Image[];
}

/** An image whose config carries platform, labels and a history line per layer (and one empty step). */
export function imageWith(layers: readonly Blob[], options: { arch?: string; steps?: string[]; labels?: Record<string, string>; annotations?: Record<string, string> } = {}): Image {
  const steps = options.steps ?? layers.map((_l, i) => `/bin/sh -c #(nop) ADD file:${i} in /`);
  const config = blob(JSON.stringify({
    architecture: options.arch ?? 'amd64', os: 'linux', created: new Date(Date.now() - 86_400_000).toISOString(),
    config: { Entrypoint: ['/app'], Env: ['PATH=/usr/bin', `SALT=${randomBytes(4).toString('hex')}`], Labels: options.labels ?? {} },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    history: [...steps.map((s) => ({ created_by: s })), { created_by: 'CMD ["/app"]', empty_layer: true }],
  }));
  return ociImage(config, layers, options.annotations ? { annotations: options.annotations } : {});
}

export function artifact(type: string, subject: Image, content: string): Image {
  const config = blob('{}');
  const layer = blob(content);
  const manifest = blob(JSON.stringify({
    schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: type,
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: config.digest, size: 2 },
    layers: [{ mediaType: type, digest: layer.digest, size: layer.content.length }],
    subject: { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.manifest.content.length },
  }));
  return { digest: manifest.digest, manifest, config, layers: [layer] };
}

export interface SeedOptions {
  readonly extraTags?: number;
  readonly extraRepositories?: number;
  /** The registry's storage (a filesystem folder of its own when unset). */
  readonly storage?: RegistryConfigInput['storage'];
}

export async function startSeededRegistry(options: SeedOptions = {}): Promise<Seeded> {
  const ws = await authWorkspace();
  await ws.writePolicy({
    robots: await Promise.all(Object.values(IDENTITIES).map((i) => robot(i.username, { secret: i.password }))),
    rules: [
      { subjects: ['alice'], repositories: ['team-a/**'], actions: ['pull', 'push'] },
      { subjects: ['bob'], repositories: ['team-b/**'], actions: ['pull'] },
    ],
  });
  const reg = await startRegistryProcess({
    dir: ws.dir,
    config: {
      ...ws.config({
        auth: { loginLimits: { maxFailures: 10_000, failureDelayMs: 0 } },
        repositories: [
          { match: 'open/**', anonymousPull: true },
          { match: 'team-a/**', quotaBytes: 50 * 1024 * 1024, immutableTags: ['stable'] },
        ],
      }),
      gc: { enabled: false },
      ...(options.storage ? { storage: options.storage } : {}),
    },
  });
  const admin = new OciClient(reg.url, { Authorization: basic(ADMIN.username, ADMIN.password) });

  const baseLayers = [randomBlob(4096), randomBlob(2048)];
  const base = imageWith(baseLayers, { steps: ['/bin/sh -c #(nop) ADD file:rootfs in /', 'RUN apk add --no-cache ca-certificates'] });
  await admin.pushImage('open/base', '1', base);
  const app = imageWith([...baseLayers, randomBlob(3000)], {
    steps: ['/bin/sh -c #(nop) ADD file:rootfs in /', 'RUN apk add --no-cache ca-certificates', 'COPY app /app # buildkit'],
    labels: { 'org.opencontainers.image.source': 'https://example.test/app' },
    annotations: { 'org.opencontainers.image.base.name': 'open/base:1', 'org.opencontainers.image.base.digest': base.digest },
  });
  await admin.pushImage('team-a/app', 'v1', app);
  const amd64 = imageWith([randomBlob(1500)], { arch: 'amd64' });
  const arm64 = imageWith([randomBlob(1600)], { arch: 'arm64' });
  await admin.pushImage('team-a/app', undefined, amd64);
  await admin.pushImage('team-a/app', undefined, arm64);
  const index = blob(JSON.stringify({
    schemaVersion: 2, mediaType: OCI_INDEX,
    manifests: [[amd64, 'amd64'], [arm64, 'arm64']].map(([img, arch]) => ({
      mediaType: OCI_MANIFEST, digest: (img as Image).digest, size: (img as Image).manifest.content.length, platform: { os: 'linux', architecture: arch },
    })),
  }));
  const put = await admin.putManifest('team-a/app', 'multi', index, OCI_INDEX);
  if (put.status !== 201) throw new Error(`index push: ${put.status} ${put.text}`);
  const sbom = artifact(SBOM_TYPE, app, JSON.stringify({ spdxVersion: 'SPDX-2.3', name: 'app' }));
  const signature = artifact(SIGNATURE_TYPE, app, JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }));
  await admin.pushImage('team-a/app', undefined, sbom);
  await admin.pushImage('team-a/app', undefined, signature);

  const chartLayer = randomBlob(900);
  const chartConfig = blob(JSON.stringify({ name: 'webapp', version: '1.2.3', apiVersion: 'v2', description: 'A chart' }));
  const chartManifest = blob(JSON.stringify({
    schemaVersion: 2, mediaType: OCI_MANIFEST,
    config: { mediaType: HELM_CONFIG, digest: chartConfig.digest, size: chartConfig.content.length },
    layers: [{ mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest: chartLayer.digest, size: chartLayer.content.length }],
  }));
  const chart: Image = { digest: chartManifest.digest, manifest: chartManifest, config: chartConfig, layers: [chartLayer] };
  await admin.pushImage('team-a/chart', '1.2.3', chart);

  const releases: Image[] = [];
  for (let i = 0; i < 3; i++) {
    const img = imageWith([...baseLayers, randomBlob(1000 + i)]);
    await admin.pushImage('team-a/app', 'release', img);
    releases.push(img);
  }
  await admin.pushImage('team-a/app', 'stable', releases[0]);
  // Moved once, so its history offers a roll back to those who may push.
  await admin.pushImage('team-b/svc', 'v1', imageWith([randomBlob(2500)]));
  await admin.pushImage('team-b/svc', 'v1', imageWith([randomBlob(2400)]));
  await admin.pushImage('secret/db', 'v1', imageWith([randomBlob(2600)]));

  if (options.extraTags) {
    const many = imageWith([randomBlob(1200)]);
    await admin.pushImage('team-a/many', 'seed', many);
    await inBatches(options.extraTags, 16, (i) => admin.putManifest('team-a/many', `t${String(i).padStart(5, '0')}`, many.manifest));
  }
  if (options.extraRepositories) {
    const small = imageWith([randomBlob(700)]);
    await inBatches(options.extraRepositories, 8, (i) => admin.pushImage(`open/fleet/svc-${String(i).padStart(4, '0')}`, 'v1', small));
  }
  return { reg, ws, admin, base, app, amd64, arm64, index, sbom, signature, chart, releases };
}

async function inBatches<T>(count: number, width: number, one: (i: number) => Promise<T>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < count) {
      const i = next++;
      const res = await one(i) as { status?: number; text?: string } | undefined;
      if (res && typeof res.status === 'number' && res.status !== 201) throw new Error(`seed ${i}: ${res.status} ${res.text ?? ''}`);
    }
  }));
}

/** An access token for an identity (anonymous without credentials), with the given scopes. */
export async function tokenFor(url: string, who?: { username: string; password: string }, scopes: readonly string[] = []): Promise<string> {
  const q = new URLSearchParams({ service: SERVICE });
  for (const s of scopes) q.append('scope', s);
  const res = await fetch(`${url}/auth/token?${q.toString()}`, { headers: who ? { Authorization: basic(who.username, who.password) } : {} });
  if (res.status !== 200) throw new Error(`token for ${who?.username ?? 'anonymous'}: ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

export { ADMIN };
