// A private upstream: a second Berth with auth as "ghcr.io", reached with a
// robot's credentials from a file, next to an anonymous public "docker.io"
// (Distribution v3) declared anonymousPull. The cache itself has auth on:
// cached content obeys its repository policy (private upstream content never
// reaches someone the policy does not name, and a refusal costs the upstream
// nothing), the token handshake with the upstream costs one token per scope, and
// a rotated credentials file applies without a restart.
import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDistribution, type DistributionProcess } from '../../harness/distribution-process.js';
import { FaultyUpstream } from '../../harness/faulty-upstream.js';
import { startRegistryProcess, type RegistryProcess } from '../../harness/registry-process.js';
import { run, runOk } from '../../harness/tools.js';
import { startInProcessRegistry, type InProcessRegistry } from '../../harness/in-process-registry.js';
import { ADMIN, authWorkspace, basic, eventually, robot } from '../../registry/auth/fixtures.js';
import { get, seedImage, type SeededImage } from './fixtures.js';

let dist: DistributionProcess;
let hub: FaultyUpstream;
let ghcr: RegistryProcess;
let ghcrProxy: FaultyUpstream;
let cache: InProcessRegistry;
let credentialsFile: string;
let env: NodeJS.ProcessEnv;
let privateImage: SeededImage;
let publicImage: SeededImage;

beforeAll(async () => {
  const home = await mkdtemp(join(tmpdir(), 'berth-private-'));
  env = { HOME: home, DOCKER_CONFIG: join(home, 'docker') };
  // The private upstream: a Berth with auth, a robot "mirror" that may pull everything.
  const upstreamAuth = await authWorkspace();
  await upstreamAuth.writePolicy({
    robots: [await robot('mirror', { secret: 'mirror-secret' })],
    rules: [{ subjects: ['mirror'], repositories: ['**'], actions: ['pull'] }],
  });
  ghcr = await startRegistryProcess({ config: upstreamAuth.config() });
  ghcrProxy = await FaultyUpstream.start(ghcr.url);
  await runOk('crane', ['auth', 'login', ghcr.host, '-u', ADMIN.username, '-p', ADMIN.password], { env });
  privateImage = await seedImageAs(ghcr.host, 'org/private', 'v1');
  dist = await startDistribution();
  hub = await FaultyUpstream.start(dist.url);
  publicImage = await seedImage(dist.host, 'library/public', 'v1');

  const cacheAuth = await authWorkspace();
  await cacheAuth.writePolicy({
    robots: [await robot('dev', { secret: 'dev-secret' }), await robot('other', { secret: 'other-secret' })],
    rules: [{ subjects: ['dev'], repositories: ['ghcr.io/org/**'], actions: ['pull'] }],
  });
  credentialsFile = join(cacheAuth.dir, 'ghcr-credentials.yaml');
  await writeFile(credentialsFile, 'username: mirror\npassword: wrong\n');
  cache = await startInProcessRegistry({
    ...cacheAuth.config(),
    log: { level: 'silent' },
    mirror: {
      upstreams: [
        { host: 'ghcr.io', url: ghcrProxy.url, credentialsFile },
        { host: 'docker.io', url: hub.url, anonymousPull: true },
      ],
    },
  });
});

afterAll(async () => {
  await cache?.stop();
  await ghcrProxy?.stop();
  await ghcr?.stop();
  await hub?.stop();
  await dist?.stop();
});

/** seedImage with the logged-in crane config. */
async function seedImageAs(host: string, repo: string, tag: string): Promise<SeededImage> {
  const saved = { HOME: process.env.HOME, DOCKER_CONFIG: process.env.DOCKER_CONFIG };
  Object.assign(process.env, env);
  try {
    return await seedImage(host, repo, tag);
  } finally {
    Object.assign(process.env, saved);
  }
}

const manifestUrl = () => `${cache.url}/v2/ghcr.io/org/private/manifests/v1`;

test('a rotated credentials file applies without a restart', async () => {
  ghcrProxy.clear();
  const wrong = await get(manifestUrl(), { Authorization: basic('dev', 'dev-secret') });
  expect(wrong.status).toBe(404); // the upstream refused our (wrong) credentials: nothing to serve
  const tmp = `${credentialsFile}.tmp`;
  await writeFile(tmp, JSON.stringify({ auths: { '127.0.0.1': { auth: Buffer.from('mirror:mirror-secret').toString('base64') } } }));
  await rename(tmp, credentialsFile);
  await eventually(async () => {
    const ok = await get(manifestUrl(), { Authorization: basic('dev', 'dev-secret') });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('docker-content-digest')).toBe(privateImage.digest);
  });
});

test('the token handshake costs one token per scope, then none while it lives', async () => {
  ghcrProxy.clear();
  const layers = privateImage.platforms['linux/amd64'].blobs;
  for (const b of layers) expect((await get(`${cache.url}/v2/ghcr.io/org/private/blobs/${b}`, { Authorization: basic('dev', 'dev-secret') })).status).toBe(200);
  expect(ghcrProxy.count('blob-get')).toBe(layers.length);
  expect(ghcrProxy.count('token')).toBe(0); // the token won for the manifest still serves this scope
});

test('cached private content obeys the cache\'s policy: anonymous and unnamed robots are refused, and the upstream is never asked', async () => {
  ghcrProxy.clear();
  const anonymous = await get(manifestUrl());
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers.get('www-authenticate')).toMatch(/scope="repository:ghcr.io\/org\/private:pull"/);
  const other = await get(manifestUrl(), { Authorization: basic('other', 'other-secret') });
  expect(other.status).toBe(403);
  expect(JSON.parse(other.body.toString()).errors[0].code).toBe('DENIED');
  const blob = await get(`${cache.url}/v2/ghcr.io/org/private/blobs/${privateImage.platforms['linux/amd64'].blobs[1]}`);
  expect(blob.status).toBe(401);
  expect(ghcrProxy.count()).toBe(0);
});

test('real clients: crane pulls the private image with a robot\'s token; the anonymousPull upstream needs no login', async () => {
  const host = new URL(cache.url).host;
  const out = await mkdtemp(join(tmpdir(), 'berth-private-pull-'));
  const denied = await run('crane', ['pull', `${host}/ghcr.io/org/private:v1`, join(out, 'x.tar')], { env });
  expect(denied.code).not.toBe(0);
  expect(denied.stderr).toMatch(/UNAUTHORIZED|401/);
  await runOk('crane', ['auth', 'login', host, '-u', 'dev', '-p', 'dev-secret'], { env });
  await runOk('crane', ['pull', `${host}/ghcr.io/org/private:v1`, join(out, 'private.tar')], { env });
  expect((await runOk('crane', ['digest', `${host}/ghcr.io/org/private:v1`], { env })).trim()).toBe(privateImage.digest);
  await runOk('crane', ['auth', 'logout', host], { env });
  expect((await runOk('crane', ['digest', `${host}/docker.io/library/public:v1`], { env })).trim()).toBe(publicImage.digest);
  await runOk('crane', ['pull', `${host}/docker.io/library/public:v1`, join(out, 'public.tar')], { env });
});
