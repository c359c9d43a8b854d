// Supply chain end to end with real clients against a Berth process with auth:
// the vulnerability database pushed with `oras push` (the air-gapped path),
// images pushed with crane and scanned on push, a workload credential whose
// policy-file rule carries a pull policy refused an unsigned or vulnerable
// image with 403 DENIED and the reason, while the pusher still pulls and
// `cosign sign` works; a signed clean image is pulled and `cosign verify`
// agrees; a user SBOM attached with `oras attach` is used as is; osv-scanner
// on the SBOM Berth attached and the same database reports the same set.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { authWorkspace, ADMIN, basic, eventually, robot, type AuthWorkspace } from '../../registry/auth/fixtures.js';
import { osvDirectory, type OsvAdvisory } from '../../registry/security/fixtures.js';
import { buildImage, type FixtureFile } from '../../harness/image-fixtures.js';
import { OciClient } from '../../harness/oci-client.js';
import { startRegistryProcess, type RegistryProcess } from '../../harness/registry-process.js';
import { run, runOk } from '../../harness/tools.js';
import { osvScanner } from './osv-scanner.js';

const CRITICAL: OsvAdvisory = { id: 'BERTH-2099-0001', aliases: ['CVE-2099-0001'], pkg: 'busybox', fixed: '1.36.1-r29', severity: 'CRITICAL' };
const LEXICAL_TRAP: OsvAdvisory = { id: 'BERTH-2099-0002', pkg: 'busybox', fixed: '1.36.1-r5', severity: 'HIGH' };
const SECRETS = { pusher: 'pusher-secret-1', workload: 'workload-secret-1' } as const;
const INSECURE = ['--allow-http-registry=true', '--allow-insecure-registry=true'];
/** oras over plain HTTP with a robot's (or the admin's) credentials. */
const orasAs = (user: string, password: string) => ['--plain-http', '-u', user, '-p', password];

let ws: AuthWorkspace;
let registry: RegistryProcess;
let admin: OciClient;
const env: Record<'admin' | 'pusher' | 'workload', NodeJS.ProcessEnv> = { admin: {}, pusher: {}, workload: {} };

function alpineLayer(busybox?: string): FixtureFile[] {
  return [
    { path: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.20.3\n' },
    ...(busybox ? [{ path: 'lib/apk/db/installed', content: `P:busybox\nV:${busybox}\nA:x86_64\no:busybox\n\n` }] : []),
  ];
}

/** Builds an image and pushes it with crane as the pusher; returns its digest. */
async function cranePush(name: string, tag: string, layer: FixtureFile[]): Promise<string> {
  const built = await buildImage(ws.dir, { name, layers: [layer] });
  await runOk('crane', ['push', '--insecure', built.layoutDir, `${registry.host}/prod/app:${tag}`], { env: env.pusher });
  return built.manifestDigest;
}

/** The stored Harbor report's advisory ids, once the scan is done. */
async function reportIds(digest: string, expected?: string[]): Promise<string[]> {
  return eventually(async () => {
    const res = await admin.call('GET', `/v2/prod/app/_berth/vulnerabilities/${digest}`);
    if (res.status !== 200) throw new Error(`report ${res.status}: ${res.text}`);
    const ids = (JSON.parse(res.text) as { vulnerabilities: { id: string }[] }).vulnerabilities.map((v) => v.id).sort();
    if (expected) expect(ids).toEqual(expected);
    return ids;
  }, 30_000);
}

const craneManifest = (who: 'pusher' | 'workload', ref: string) => run('crane', ['manifest', '--insecure', `${registry.host}/prod/app${ref}`], { env: env[who], timeoutMs: 60_000 });

const cosign = (who: 'pusher' | 'workload', args: string[]) => run('cosign', [...args, '--key', join(ws.dir, 'keys', args[0] === 'sign' ? 'cosign.key' : 'cosign.pub'), ...INSECURE],
  { env: { ...env[who], COSIGN_PASSWORD: '', SIGSTORE_NO_CACHE: '1', TUF_ROOT: join(ws.dir, 'tuf') }, cwd: ws.dir, timeoutMs: 60_000 });

beforeAll(async () => {
  ws = await authWorkspace();
  await mkdir(join(ws.dir, 'keys'));
  await runOk('cosign', ['generate-key-pair'], { env: { HOME: ws.dir, COSIGN_PASSWORD: '' }, cwd: join(ws.dir, 'keys') });
  await ws.writePolicy({
    robots: [await robot('pusher', { secret: SECRETS.pusher }), await robot('workload', { secret: SECRETS.workload })],
    rules: [
      { name: 'ci', subjects: ['pusher'], repositories: ['prod/**'], actions: ['pull', 'push'] },
      // What AccessPolicy.spec.pullPolicy renders for a namespace's pull secret.
      { name: 'prod/workloads', subjects: ['workload'], repositories: ['prod/**'], actions: ['pull'],
        pullPolicy: { requireSignature: { keys: ['release'] }, preventVulnerable: { severity: 'High', maxPendingScanSeconds: 20 } } },
    ],
  });
  registry = await startRegistryProcess({
    config: {
      ...ws.config(),
      security: {
        scanning: { enabled: true },
        vulnDB: { refreshIntervalSeconds: 3600 },
        trust: { keys: [{ name: 'release', keyFile: join(ws.dir, 'keys', 'cosign.pub') }] },
      },
    },
  });
  admin = new OciClient(registry.url, { Authorization: basic(ADMIN.username, ADMIN.password) });
  const logins: [keyof typeof env, string, string][] = [['admin', ADMIN.username, ADMIN.password], ['pusher', 'pusher', SECRETS.pusher], ['workload', 'workload', SECRETS.workload]];
  for (const [who, user, password] of logins) {
    env[who] = { HOME: join(ws.dir, who), DOCKER_CONFIG: join(ws.dir, who, 'docker') };
    await mkdir(join(ws.dir, who, 'docker'), { recursive: true });
    await runOk('crane', ['auth', 'login', registry.host, '-u', user, '-p', password], { env: env[who] });
  }
});

afterAll(async () => {
  await registry?.stop();
  if (ws) await rm(ws.dir, { recursive: true, force: true });
});

it('the database pushed with oras push is loaded', async () => {
  const db = await osvDirectory(join(ws.dir, 'db'), [CRITICAL, LEXICAL_TRAP]);
  await runOk('oras', ['push', ...orasAs(ADMIN.username, ADMIN.password), `${registry.host}/berth-system/vulndb:2026-12-06`, '--artifact-type', 'application/vnd.berth.osv-db.v1', 'Alpine/all.zip:application/zip'],
    { env: env.admin, cwd: db });
  await eventually(async () => {
    const status = JSON.parse((await admin.call('GET', '/v2/_berth/security/status')).text) as { scanning: { vulnDB: { state: string; tag?: string; advisories?: number } } };
    expect(status.scanning.vulnDB).toMatchObject({ state: 'ready', tag: '2026-12-06', advisories: 2 });
  }, 30_000);
});

it('a vulnerable image is scanned on push; the workload credential is refused it, unsigned and then signed, with the reason; the pusher is not', async () => {
  const digest = await cranePush('vulnerable', 'vulnerable', alpineLayer('1.36.1-r28'));
  await reportIds(digest, ['BERTH-2099-0001']);
  expect((await craneManifest('pusher', ':vulnerable')).code).toBe(0);
  const unsigned = await craneManifest('workload', ':vulnerable');
  expect(unsigned.code).not.toBe(0);
  expect(unsigned.stderr).toContain('DENIED');
  expect(unsigned.stderr).toContain('requireSignature');
  const signed = await cosign('pusher', ['sign', '--tlog-upload=false', '-y', `${registry.host}/prod/app@${digest}`]);
  expect({ code: signed.code, stderr: signed.code ? signed.stderr : '' }).toEqual({ code: 0, stderr: '' });
  const vulnerable = await craneManifest('workload', ':vulnerable');
  expect(vulnerable.code).not.toBe(0);
  expect(vulnerable.stderr).toContain('preventVulnerable');
  expect(vulnerable.stderr).toContain('BERTH-2099-0001');
});

it('an unsigned clean image is refused; cosign sign works on the protected repository; then the workload pulls and cosign verify agrees', async () => {
  const digest = await cranePush('clean', 'clean', alpineLayer('1.36.1-r29'));
  await reportIds(digest, []);
  const refused = await craneManifest('workload', ':clean');
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain('DENIED');
  expect(refused.stderr).toContain('is not signed');

  const signed = await cosign('pusher', ['sign', '--tlog-upload=false', '-y', `${registry.host}/prod/app@${digest}`]);
  expect({ code: signed.code, stderr: signed.code ? signed.stderr : '' }).toEqual({ code: 0, stderr: '' });
  const pulled = await craneManifest('workload', ':clean');
  expect({ code: pulled.code, stderr: pulled.stderr }).toMatchObject({ code: 0 });
  expect(JSON.parse(pulled.stdout)).toMatchObject({ schemaVersion: 2 });
  await runOk('crane', ['pull', '--insecure', `${registry.host}/prod/app:clean`, join(ws.dir, 'clean-pulled.tar')], { env: env.workload });
  const verified = await cosign('workload', ['verify', '--insecure-ignore-tlog=true', `${registry.host}/prod/app@${digest}`]);
  expect({ code: verified.code, stderr: verified.code ? verified.stderr : '' }).toEqual({ code: 0, stderr: '' });
});

it('osv-scanner on the SBOM Berth attached, with the same database, reports the same set', async () => {
  const digest = (await admin.call('HEAD', '/v2/prod/app/manifests/vulnerable')).headers.get('docker-content-digest')!;
  const discovered = JSON.parse(await runOk('oras', ['discover', ...orasAs(ADMIN.username, ADMIN.password), '--format', 'json', '--artifact-type', 'application/vnd.cyclonedx+json', `${registry.host}/prod/app@${digest}`], { env: env.admin })) as
    { referrers?: { digest: string; annotations?: Record<string, string> }[]; manifests?: { digest: string; annotations?: Record<string, string> }[] };
  const referrers = discovered.referrers ?? discovered.manifests ?? [];
  expect(referrers).toHaveLength(1);
  expect(referrers[0].annotations?.['dev.berth.sbom.indexer']).toBeDefined();
  const out = join(ws.dir, 'sbom-out');
  await runOk('oras', ['pull', ...orasAs(ADMIN.username, ADMIN.password), '-o', out, `${registry.host}/prod/app@${referrers[0].digest}`], { env: env.admin });
  const dbDir = join(ws.dir, 'osvdb');
  await mkdir(join(dbDir, 'osv-scalibr', 'Alpine'), { recursive: true });
  await writeFile(join(dbDir, 'osv-scalibr', 'Alpine', 'all.zip'), await readFile(join(ws.dir, 'db', 'Alpine', 'all.zip')));
  const theirs = await osvScanner(['scan', 'source', '-L', join(out, 'sbom.cdx.json')], dbDir);
  expect([...theirs]).toEqual(['Alpine|busybox|BERTH-2099-0001']);
  expect(await reportIds(digest)).toEqual(['BERTH-2099-0001']);
});

it('a user SBOM attached with oras attach is used as is', async () => {
  // An image whose layers say nothing of busybox; its SBOM says it has r28.
  const digest = await cranePush('bare', 'bare', alpineLayer());
  await reportIds(digest, []);
  const sbom = join(ws.dir, 'user.cdx.json');
  await writeFile(sbom, JSON.stringify({
    bomFormat: 'CycloneDX', specVersion: '1.5', version: 1,
    components: [
      { type: 'operating-system', name: 'alpine', version: '3.20.3' },
      { type: 'library', name: 'busybox', version: '1.36.1-r28', purl: 'pkg:apk/alpine/busybox@1.36.1-r28?arch=x86_64&distro=3.20.3' },
    ],
  }));
  await runOk('oras', ['attach', ...orasAs('pusher', SECRETS.pusher), '--artifact-type', 'application/vnd.cyclonedx+json', `${registry.host}/prod/app@${digest}`, 'user.cdx.json:application/vnd.cyclonedx+json'],
    { env: env.pusher, cwd: ws.dir });
  await reportIds(digest, ['BERTH-2099-0001']);
});
