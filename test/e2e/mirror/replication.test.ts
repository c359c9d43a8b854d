// Scheduled sync and push replication of a signed multi-arch image:
//   - sync: selected tags (a semver range) of an upstream repository, one platform
//     only, copied into the cache namespace with the cosign signature; the
//     signature then verifies against the cache with the upstream down. A second
//     run copies nothing; a run interrupted by upstream failures is finished by the
//     next one without copying anything twice.
//   - replication: a tag pushed here, then signed, is pushed on to another Berth
//     (with auth) under a prefix, signature included, and verifies there; a tag the
//     rule does not select stays here. Status per rule in the admin API and metrics.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDistribution, type DistributionProcess } from '../../harness/distribution-process.js';
import { FaultyUpstream } from '../../harness/faulty-upstream.js';
import { startRegistryProcess, type RegistryProcess } from '../../harness/registry-process.js';
import { run, runOk } from '../../harness/tools.js';
import { startInProcessRegistry, type InProcessRegistry } from '../../harness/in-process-registry.js';
import { authWorkspace, robot } from '../../registry/auth/fixtures.js';
import { get, seedImage, type SeededImage } from './fixtures.js';

const INSECURE = ['--allow-http-registry', '--allow-insecure-registry'];
let work: string;
let env: NodeJS.ProcessEnv;
let dist: DistributionProcess;
let hub: FaultyUpstream;
let prod: RegistryProcess;
let cache: InProcessRegistry;
let cacheHost: string;
const versions: Record<string, SeededImage> = {};

async function cosign(...args: string[]): Promise<string> {
  return runOk('cosign', args, { env, cwd: work });
}

interface Report { result: string; images: number; copied: { manifests: number; blobs: number; bytes: number }; skipped: number; failed: number; errors: string[] }

async function runRule(name: string): Promise<Report> {
  const res = await fetch(`${cache.url}/admin/replication/${name}`, { method: 'POST' });
  expect(res.status).toBe(200);
  return (await res.json()) as Report;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-replication-'));
  env = {
    HOME: work, DOCKER_CONFIG: join(work, 'docker'), COSIGN_PASSWORD: '', COSIGN_EXPERIMENTAL: '0', SIGSTORE_NO_CACHE: '1', TUF_ROOT: join(work, 'tuf'),
  };
  await mkdir(env.DOCKER_CONFIG!, { recursive: true });
  await cosign('generate-key-pair');
  dist = await startDistribution();
  hub = await FaultyUpstream.start(dist.url);
  for (const v of ['1.1.0', '1.2.0', '2.0.0', '3.0.0']) {
    versions[v] = await seedImage(dist.host, 'library/app', v, { platforms: ['linux/amd64', 'linux/arm64'] });
  }
  await cosign('sign', '--key', 'cosign.key', '--tlog-upload=false', '-y', ...INSECURE, `${dist.host}/library/app@${versions['1.2.0'].digest}`);

  // The destination of push replication: another Berth with auth; a robot may push under promoted/.
  const prodAuth = await authWorkspace();
  await prodAuth.writePolicy({
    robots: [await robot('promoter', { secret: 'promoter-secret' })],
    rules: [{ subjects: ['promoter'], repositories: ['promoted/**'], actions: ['pull', 'push'] }],
  });
  prod = await startRegistryProcess({ config: prodAuth.config() });
  const credentialsFile = join(work, 'prod.yaml');
  await writeFile(credentialsFile, 'username: promoter\npassword: promoter-secret\n');

  cache = await startInProcessRegistry({
    mirror: {
      upstreams: [{ host: 'docker.io', url: hub.url }],
      sync: [
        { name: 'app-stable', upstream: 'docker.io', repositories: ['app'], semver: '>=1.2 <3', platforms: ['linux/arm64'], intervalSeconds: 0 },
        { name: 'app-next', upstream: 'docker.io', repositories: ['library/app'], semver: '>=3', intervalSeconds: 0, concurrency: 2 },
      ],
    },
    replication: [{ name: 'promote', repositories: ['team/**'], tags: ['v*'], url: prod.url, prefix: 'promoted', credentialsFile }],
  });
  cacheHost = new URL(cache.url).host;
});

afterAll(async () => {
  await cache?.stop();
  await prod?.stop();
  await hub?.stop();
  await dist?.stop();
});

describe('sync', () => {
  test('copies the selected tags, one platform, with the signature, which then verifies with the upstream down', async () => {
    hub.clear();
    const report = await runRule('app-stable');
    expect(report).toEqual(expect.objectContaining({ result: 'success', images: 2, failed: 0 }));
    const arm = (v: string) => versions[v].platforms['linux/arm64'];
    const amd = (v: string) => versions[v].platforms['linux/amd64'];
    const fetched = hub.requests.filter((r) => r.kind === 'blob-get').map((r) => r.path.split('/').pop());
    expect(fetched).toEqual(expect.arrayContaining([...arm('1.2.0').blobs, ...arm('2.0.0').blobs]));
    expect(fetched).toHaveLength(arm('1.2.0').blobs.length + arm('2.0.0').blobs.length + 2); // + the signature's config and layer
    for (const v of ['1.2.0', '2.0.0']) for (const d of amd(v).blobs) expect(fetched).not.toContain(d);
    const { storage } = cache.running.services;
    expect(await storage.tags.list('docker.io/library/app')).toEqual(expect.arrayContaining(['1.2.0', '2.0.0', `sha256-${versions['1.2.0'].digest.slice(7)}.sig`]));
    expect(await storage.tags.list('docker.io/library/app')).not.toContain('1.1.0');

    await hub.set({ kind: 'down' });
    try {
      hub.clear();
      const verified = await cosign('verify', '--key', 'cosign.pub', '--insecure-ignore-tlog', ...INSECURE, `${cacheHost}/docker.io/library/app@${versions['1.2.0'].digest}`);
      expect(JSON.parse(verified)[0].critical.image['docker-manifest-digest']).toBe(versions['1.2.0'].digest);
      const m = await get(`${cache.url}/v2/docker.io/library/app/manifests/${arm('2.0.0').manifest}`);
      expect(m.status).toBe(200);
      expect(hub.count()).toBe(0);
    } finally {
      await hub.set({ kind: 'none' });
    }
  });

  test('a second run copies nothing', async () => {
    hub.clear();
    const report = await runRule('app-stable');
    expect(report).toEqual(expect.objectContaining({ result: 'success', images: 2, copied: { manifests: 0, blobs: 0, bytes: 0 } }));
    expect(report.skipped).toBeGreaterThan(0);
    expect(hub.count('blob-get')).toBe(0);
  });

  test('a run cut short by upstream failures is finished by the next, nothing copied twice', async () => {
    await hub.set({ kind: 'status', status: 500 }, { only: ['blob-get'], times: 2 });
    hub.clear();
    const first = await runRule('app-next');
    expect(first.failed).toBeGreaterThan(0);
    expect(first.result).not.toBe('success');
    const fetchedFirst = new Set(hub.requests.filter((r) => r.kind === 'blob-get' && r.status === 200).map((r) => r.path));
    hub.clear();
    const second = await runRule('app-next');
    expect(second).toEqual(expect.objectContaining({ result: 'success', failed: 0 }));
    expect(second.copied.blobs).toBeGreaterThan(0);
    const fetchedSecond = hub.requests.filter((r) => r.kind === 'blob-get').map((r) => r.path);
    expect(fetchedSecond.filter((p) => fetchedFirst.has(p))).toEqual([]);
    const status = (await (await fetch(`${cache.url}/admin/replication`)).json()) as { rules: { name: string; lastRun: Report; lastSuccessAt?: string }[] };
    expect(status.rules.find((r) => r.name === 'app-next')).toEqual(expect.objectContaining({ lastRun: expect.objectContaining({ result: 'success' }), lastSuccessAt: expect.any(String) }));
  });
});

describe('push replication', () => {
  test('a pushed and signed multi-arch tag reaches the other registry under the prefix, and its signature verifies there', async () => {
    const image = await seedImage(cacheHost, 'team/app', 'v1.0.0', { platforms: ['linux/amd64', 'linux/arm64'] });
    await cosign('sign', '--key', 'cosign.key', '--tlog-upload=false', '-y', ...INSECURE, `${cacheHost}/team/app@${image.digest}`);
    await seedImage(cacheHost, 'team/app', 'dev-1');
    await cache.running.services.replication.idle();

    await runOk('crane', ['auth', 'login', prod.host, '-u', 'promoter', '-p', 'promoter-secret'], { env });
    expect((await runOk('crane', ['digest', `${prod.host}/promoted/team/app:v1.0.0`], { env })).trim()).toBe(image.digest);
    for (const p of ['linux/amd64', 'linux/arm64']) {
      expect((await runOk('crane', ['digest', `${prod.host}/promoted/team/app@${image.platforms[p].manifest}`], { env })).trim()).toBe(image.platforms[p].manifest);
    }
    const verified = await cosign('verify', '--key', 'cosign.pub', '--insecure-ignore-tlog', ...INSECURE, `${prod.host}/promoted/team/app@${image.digest}`);
    expect(JSON.parse(verified)[0].critical.image['docker-manifest-digest']).toBe(image.digest);
    const unselected = await run('crane', ['digest', `${prod.host}/promoted/team/app:dev-1`], { env });
    expect(unselected.code).not.toBe(0);

    const status = (await (await fetch(`${cache.url}/admin/replication`)).json()) as { rules: { name: string; lastRun: Report }[] };
    expect(status.rules.find((r) => r.name === 'promote')?.lastRun).toEqual(expect.objectContaining({ result: 'success', failed: 0 }));
    const metrics = await (await fetch(`${cache.url}/metrics`)).text();
    expect(metrics).toMatch(/berth_replication_runs_total\{rule="promote",kind="replication",result="success"\} [1-9]/);
    expect(metrics).toMatch(/berth_replication_last_success_timestamp_seconds\{rule="promote"\} \d/);
  });

  test('a scheduled or on-demand run of the rule is idempotent', async () => {
    const report = await runRule('promote');
    expect(report).toEqual(expect.objectContaining({ result: 'success', copied: { manifests: 0, blobs: 0, bytes: 0 } }));
  });
});
