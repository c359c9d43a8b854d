// Real clients through the cache, for two upstreams at once: an anonymous
// "docker.io" (Distribution v3) and a private "ghcr.io" (Berth with auth):
//   - containerd (Debian's, its own root/state/socket, CRI off) with a rendered
//     hosts.toml per upstream: `ctr content fetch --hosts-dir` sends ?ns=<host>;
//   - skopeo with a registries.conf mirror, by path prefix;
//   - crane and oras by path prefix.
// Each hosts.toml/registries.conf names an unreachable upstream as the fallback,
// so a pull that did not go through the cache fails.
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderHostsToml } from '#contract/mirror/hosts-toml.js';
import { startContainerd, type Containerd } from '../../harness/containerd.js';
import { startDistribution, type DistributionProcess } from '../../harness/distribution-process.js';
import { FaultyUpstream } from '../../harness/faulty-upstream.js';
import { startRegistryProcess, type RegistryProcess } from '../../harness/registry-process.js';
import { runOk } from '../../harness/tools.js';
import { startInProcessRegistry, type InProcessRegistry } from '../../harness/in-process-registry.js';
import { ADMIN, authWorkspace, robot } from '../../registry/auth/fixtures.js';
import { cacheRequests, seedImage, type SeededImage } from './fixtures.js';

const UNREACHABLE = 'http://127.0.0.1:9';
let dist: DistributionProcess;
let hub: FaultyUpstream;
let ghcr: RegistryProcess;
let ghcrProxy: FaultyUpstream;
let cache: InProcessRegistry;
let cacheHost: string;
let containerd: Containerd;
let work: string;
let env: NodeJS.ProcessEnv;
let alpine: SeededImage;
let tool: SeededImage;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-mirror-clients-'));
  env = { HOME: work, DOCKER_CONFIG: join(work, 'docker') };
  dist = await startDistribution();
  hub = await FaultyUpstream.start(dist.url);
  alpine = await seedImage(dist.host, 'library/alpine', '3.20', { platforms: ['linux/amd64', 'linux/arm64'] });

  const upstreamAuth = await authWorkspace();
  await upstreamAuth.writePolicy({ robots: [await robot('mirror', { secret: 'mirror-secret' })], rules: [{ subjects: ['mirror'], repositories: ['**'], actions: ['pull'] }] });
  ghcr = await startRegistryProcess({ config: upstreamAuth.config() });
  ghcrProxy = await FaultyUpstream.start(ghcr.url);
  await runOk('crane', ['auth', 'login', ghcr.host, '-u', ADMIN.username, '-p', ADMIN.password], { env });
  const saved = { HOME: process.env.HOME, DOCKER_CONFIG: process.env.DOCKER_CONFIG };
  Object.assign(process.env, env);
  try {
    tool = await seedImage(ghcr.host, 'org/tool', 'v2');
  } finally {
    Object.assign(process.env, saved);
  }
  await writeFile(join(work, 'readme.txt'), 'an artifact behind a private upstream\n');
  await runOk('oras', ['push', '--plain-http', '-u', ADMIN.username, '-p', ADMIN.password, `${ghcr.host}/org/notes:v1`, 'readme.txt:text/plain'], { cwd: work, env });

  const credentialsFile = join(work, 'ghcr.yaml');
  await writeFile(credentialsFile, 'username: mirror\npassword: mirror-secret\n');
  cache = await startInProcessRegistry({
    mirror: { upstreams: [{ host: 'docker.io', url: hub.url }, { host: 'ghcr.io', url: ghcrProxy.url, credentialsFile }] },
  });
  cacheHost = new URL(cache.url).host;
  containerd = await startContainerd();
  for (const host of ['docker.io', 'ghcr.io']) {
    await mkdir(join(containerd.hostsDir, host));
    await writeFile(join(containerd.hostsDir, host, 'hosts.toml'), renderHostsToml({ server: UNREACHABLE, mirror: cache.url, dialTimeout: '2s' }));
  }
});

afterAll(async () => {
  await containerd?.stop();
  await cache?.stop();
  await ghcrProxy?.stop();
  await ghcr?.stop();
  await hub?.stop();
  await dist?.stop();
});

test('containerd pulls through the cache from two upstreams chosen by ns', async () => {
  hub.clear();
  ghcrProxy.clear();
  const fetched = await containerd.ctr(['content', 'fetch', '--hosts-dir', containerd.hostsDir, '--platform', 'linux/arm64', 'docker.io/library/alpine:3.20']);
  expect(fetched.code).toBe(0);
  // ctr may log the cancellation of its own background content lookup as it exits
  // ("failed to get content info ... context canceled"); any other error line fails.
  expect(fetched.stderr.split('\n').filter((l) => !/context canceled/.test(l)).join('\n')).not.toMatch(/error|failed/i);
  const ghcrFetch = await containerd.ctr(['content', 'fetch', '--hosts-dir', containerd.hostsDir, 'ghcr.io/org/tool:v2']);
  expect(ghcrFetch.code).toBe(0);
  const content = (await containerd.ctr(['content', 'ls', '-q'])).stdout;
  for (const d of [alpine.digest, alpine.platforms['linux/arm64'].manifest, ...alpine.platforms['linux/arm64'].blobs, tool.digest, ...tool.platforms['linux/amd64'].blobs]) {
    expect(content).toContain(d);
  }
  // Only the arm64 half of the index came from the upstream.
  for (const d of alpine.platforms['linux/amd64'].blobs) expect(hub.requests.some((r) => r.path.endsWith(d))).toBe(false);
  const metrics = await (await fetch(`${cache.url}/metrics`)).text();
  expect(cacheRequests(metrics, 'docker.io', 'miss')).toBeGreaterThan(0);
  expect(cacheRequests(metrics, 'ghcr.io', 'miss')).toBeGreaterThan(0);
  process.stdout.write(`containerd via ns: docker.io upstream ${hub.summary()}; ghcr.io upstream ${ghcrProxy.summary()}\n`);
  // A second fetch into a fresh namespace costs the upstreams nothing.
  hub.clear();
  ghcrProxy.clear();
  const again = await containerd.ctr(['--namespace', 'second', 'content', 'fetch', '--hosts-dir', containerd.hostsDir, '--platform', 'linux/arm64', 'docker.io/library/alpine:3.20']);
  expect(again.code).toBe(0);
  expect(hub.count()).toBe(0);
});

test('skopeo with a registries.conf mirror, by path prefix', async () => {
  const conf = join(work, 'registries.conf');
  await writeFile(conf, [
    'unqualified-search-registries = []',
    '[[registry]]',
    'prefix = "docker.io"',
    `location = "${UNREACHABLE.replace('http://', '')}"`,
    'insecure = true',
    '[[registry.mirror]]',
    `location = "${cacheHost}/docker.io"`,
    'insecure = true',
    '',
  ].join('\n'));
  const out = join(work, 'skopeo-out');
  await runOk('skopeo', ['--registries-conf', conf, '--override-arch', 'amd64', 'copy', 'docker://docker.io/library/alpine:3.20', `oci:${out}:3.20`], { env });
  const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8'));
  expect(index.manifests[0].digest).toBe(alpine.platforms['linux/amd64'].manifest);
});

test('crane and oras by path prefix', async () => {
  const out = join(work, 'crane.tar');
  await runOk('crane', ['pull', '--platform', 'linux/amd64', `${cacheHost}/docker.io/library/alpine:3.20`, out], { env });
  expect((await runOk('crane', ['digest', `${cacheHost}/ghcr.io/org/tool:v2`], { env })).trim()).toBe(tool.digest);
  const pulled = join(work, 'oras-out');
  await runOk('oras', ['pull', '--plain-http', '-o', pulled, `${cacheHost}/ghcr.io/org/notes:v1`], { env });
  expect(await readFile(join(pulled, 'readme.txt'), 'utf8')).toBe('an artifact behind a private upstream\n');
});
