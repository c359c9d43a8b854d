// Supply chain through the operator on a real control plane: Registry and
// Repository spec.security and AccessPolicy spec.pullPolicy rendered into the
// config and the policy file; a registry started from exactly what the
// Deployment mounts (pods do not run here: the trusted key comes from its
// Secret) scans a pushed image against a small OSV database; the operator
// fills Repository status.security and the Scanned, PolicyCompliant and
// VulnDBFresh conditions from it and announces the advisory once with a
// NewVulnerability Event, also across an operator restart; a namespace whose
// AccessPolicy requires signatures is refused an unsigned image with 403 DENIED
// and the reason, while the pusher still pushes and pulls.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegistryConfig } from '#contract/config/schema.js';
import type { AccessPolicy, Repository } from '../../operator/src/api/types.js';
import type { KubeClient } from '../../operator/src/kube/client.js';
import type { KubeObject } from '../../operator/src/kube/types.js';
import { freePort, type RegistryProcess } from '../harness/registry-process.js';
import { blob, OciClient, type Answer } from '../harness/oci-client.js';
import { alpineImage, ecdsaKey, osvDirectory, pushCosignSignature, type KeyPair } from '../registry/security/fixtures.js';
import { renderedConfig as renderedConfigOf, startRegistryFromDeployment } from './helm/registry-from-deployment.js';
import { createNamespace, waitFor } from './support/kube.js';
import { withOperator } from './support/operator.js';
import { createRegistry, REGISTRY_API } from './support/registry.js';

type Data = KubeObject & { data: Record<string, string> };
type EventObject = KubeObject & { reason: string; message: string; involvedObject: { kind: string; name: string } };

const CRITICAL = { id: 'BERTH-2099-0001', aliases: ['CVE-2099-0001'], pkg: 'busybox', fixed: '1.36.1-r29', severity: 'CRITICAL' as const };
const VULNDB_TAG = '2026-12-06';

let client: KubeClient;
let ns: string;
let port: number;
let dir: string;
let registry: RegistryProcess | undefined;
let admin: OciClient;
let key: KeyPair;
let ciNs: string;
let workloadNs: string;
let readerNs: string;
let vulnerableDigest: string;

const operatorArgs = (namespace: string) => [`--registry-url=${namespace}/main=http://127.0.0.1:${port}`, '--repository-status-interval=1', '--policy-propagation-delay=1', '--log-level=debug'];
const fx = withOperator('reposec', {
  identity: 'repository-security-op',
  args: async (namespace) => {
    port = await freePort();
    return operatorArgs(namespace);
  },
  ready: (l) => l.msg === 'controller started' && l.controller === 'repository',
});

const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const renderedConfig = () => renderedConfigOf(client, ns);
const getRepository = () => client.get<Repository>(REGISTRY_API, 'Repository', 'app', ns);
const cond = (r: Repository, type: string) => r.status?.conditions?.find((c) => c.type === type);
const denial = (res: Answer) => (JSON.parse(res.text) as { errors: Array<{ code: string; message: string; detail?: unknown }> }).errors[0];

/** A client with the credential of the namespace's pull secret, as the kubelet would use it. */
async function robotClient(namespace: string): Promise<OciClient> {
  const secret = await waitFor(`pull secret in ${namespace}`, () => client.getOptional<Data>('v1', 'Secret', 'berth-pull-secret', namespace));
  const auths = (JSON.parse(b64(secret.data['.dockerconfigjson'])) as { auths: Record<string, { username: string; password: string }> }).auths;
  const { username, password } = Object.values(auths)[0];
  return new OciClient(registry!.url, { Authorization: basic(username, password) });
}

const newVulnerabilityEvents = async () => (await client.list<EventObject>('v1', 'Event', { namespace: ns })).items
  .filter((e) => e.involvedObject.kind === 'Repository' && e.involvedObject.name === 'app' && e.reason === 'NewVulnerability');

const accessPolicy = (name: string, namespace: string, actions: string[], extra: Record<string, unknown> = {}) => client.create<AccessPolicy>({
  apiVersion: REGISTRY_API, kind: 'AccessPolicy', metadata: { name, namespace: ns },
  spec: { registryRef: { name: 'main' }, namespaces: { names: [namespace] }, repositories: ['prod/**'], actions, ...extra },
});

/** The OSV database as an OCI artifact (what `oras push` of Alpine/all.zip makes), pushed as the admin. */
async function pushVulnDb(): Promise<void> {
  const db = await osvDirectory(join(dir, 'osv'), [CRITICAL]);
  const zip = blob(readFileSync(join(db, 'Alpine', 'all.zip')));
  const empty = blob('{}');
  await admin.pushBlob('berth-system/vulndb', empty);
  await admin.pushBlob('berth-system/vulndb', zip);
  const manifest = blob(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.berth.osv-db.v1',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty.digest, size: empty.content.length },
    layers: [{ mediaType: 'application/zip', digest: zip.digest, size: zip.content.length, annotations: { 'org.opencontainers.image.title': 'Alpine/all.zip' } }],
  }));
  const res = await admin.putManifest('berth-system/vulndb', VULNDB_TAG, manifest);
  if (res.status !== 201) throw new Error(`database push answered ${res.status}: ${res.text}`);
}

/** Starts (or restarts, as a rollout would) the registry from the Deployment's mounted config and Secrets; the data volume stays. */
async function startFromCluster(): Promise<RegistryConfig> {
  await registry?.stop();
  let config: RegistryConfig;
  ({ registry, config } = await startRegistryFromDeployment(client, ns, join(dir, 'pod'), port));
  const secret = await client.get<Data>('v1', 'Secret', 'main-admin', ns);
  admin = new OciClient(registry.url, { Authorization: basic(b64(secret.data.username), b64(secret.data.password)) });
  return config;
}

const databaseLoaded = () => waitFor('the database loaded', async () => {
  const status = JSON.parse((await admin.call('GET', '/v2/_berth/security/status')).text) as { scanning: { vulnDB: { state: string } } };
  return status.scanning.vulnDB.state === 'ready';
});

beforeAll(async () => {
  ({ client, ns } = fx);
  dir = mkdtempSync(join(tmpdir(), 'berth-reposec-'));
  key = ecdsaKey();
  ciNs = await createNamespace(client, 'reposec-ci');
  workloadNs = await createNamespace(client, 'reposec-workload');
  readerNs = await createNamespace(client, 'reposec-reader');
});

afterAll(async () => {
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('supply chain through the operator', () => {
  it('renders Registry, Repository and AccessPolicy security into the config and the policy file', async () => {
    await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cosign', namespace: ns }, type: 'Opaque', data: { 'cosign.pub': Buffer.from(key.publicPem).toString('base64') } });
    await createRegistry(client, ns, 'main', {
      storage: { filesystem: {} },
      security: {
        scanning: { enabled: true },
        // Freshness is not what this test is about: a long maxAge keeps a slow run from ageing the database.
        vulnDB: { refreshInterval: '1h', maxAge: '87600h' },
        trust: { keys: [{ name: 'release', secretRef: { name: 'cosign' } }] },
      },
    });
    await client.create({
      apiVersion: REGISTRY_API, kind: 'Repository', metadata: { name: 'app', namespace: ns },
      spec: { registryRef: { name: 'main' }, name: 'prod/app', security: { preventVulnerable: { severity: 'Critical' }, requireSignature: { keys: ['release'] } } },
    });
    await accessPolicy('ci', ciNs, ['pull', 'push']);
    await accessPolicy('workloads', workloadNs, ['pull'], { pullPolicy: { requireSignature: { keys: ['release'] } } });
    await accessPolicy('readers', readerNs, ['pull']);

    const config = await waitFor('the Repository\'s security in the config', async () => {
      const c = await renderedConfig();
      return c.repositories.some((r) => r.match === 'prod/app') ? c : undefined;
    });
    expect(config.security.scanning.enabled).toBe(true);
    expect(config.security.trust.keys).toEqual([{ name: 'release', keyFile: '/etc/berth/security/trust-0/key.pem' }]);
    expect(config.repositories.find((r) => r.match === 'prod/app')!.security).toEqual({
      preventVulnerable: { severity: 'Critical', mode: 'Enforce', pendingScan: 'Allow', maxPendingScanSeconds: 30 },
      requireSignature: { keys: ['release'], minSignatures: 1, mode: 'Enforce' },
      cveAllowlist: [],
    });
    const rules = await waitFor('three rules in the policy file', async () => {
      const s = await client.getOptional<Data>('v1', 'Secret', 'main-policy', ns);
      const file = s ? JSON.parse(b64(s.data['policy.yaml'])) as { rules: Array<{ name: string; pullPolicy?: unknown }> } : undefined;
      return file && file.rules.length === 3 ? file.rules : undefined;
    });
    expect(rules.map((r) => [r.name, r.pullPolicy])).toEqual([
      [`accesspolicy/${ns}/ci`, undefined],
      [`accesspolicy/${ns}/readers`, undefined],
      [`accesspolicy/${ns}/workloads`, { requireSignature: { keys: ['release'], minSignatures: 1, mode: 'Enforce' } }],
    ]);
  });

  it('a registry started from what the Deployment mounts loads the database and scans a pushed image', async () => {
    await waitFor('pull secrets in the three namespaces', async () => {
      const found = await Promise.all([ciNs, workloadNs, readerNs].map((n) => client.getOptional('v1', 'Secret', 'berth-pull-secret', n)));
      return found.every(Boolean);
    });
    const config = await startFromCluster();
    // The trusted key is the Secret's, mounted where the config says.
    expect(readFileSync(config.security.trust.keys[0].keyFile, 'utf8')).toBe(key.publicPem);
    await pushVulnDb();
    await databaseLoaded();
    const ci = await robotClient(ciNs);
    const image = await alpineImage({ busybox: '1.36.1-r28' }, 'vulnerable');
    expect((await ci.push('prod/app', 'v1', image)).status).toBe(201);
    vulnerableDigest = image.digest;
  });

  it('fills status.security and the three conditions from the registry', async () => {
    const repo = await waitFor('status.security with the Critical advisory', async () => {
      const r = await getRepository();
      if (r.status?.security?.critical === 1 && cond(r, 'Scanned')?.status === 'True') return r;
      // Shown on timeout: what the operator reports and last complained of.
      throw new Error(JSON.stringify({ status: r.status, warnings: fx.operator.lines.filter((l) => l.level === 'warn' || l.level === 'error').slice(-3) }));
    }, 90_000);
    const security = repo.status!.security!;
    expect(security).toMatchObject({ critical: 1, high: 0, tags: 1, scannedTags: 1, unsignedTags: 1 });
    expect(security.vulnDBDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(Date.now() - Date.parse(security.lastMatchTime!)).toBeLessThan(10 * 60_000);
    expect(security.topVulnerabilities).toEqual([{ id: 'BERTH-2099-0001', severity: 'Critical', package: 'busybox@1.36.1-r28', tags: ['v1'] }]);
    const generation = repo.metadata.generation;
    expect(cond(repo, 'Scanned')).toMatchObject({ status: 'True', reason: 'AllScanned', observedGeneration: generation });
    expect(cond(repo, 'VulnDBFresh')).toMatchObject({ status: 'True', reason: 'Fresh', observedGeneration: generation, message: expect.stringContaining(security.vulnDBDigest!) });
    expect(cond(repo, 'PolicyCompliant')).toMatchObject({ status: 'False', reason: 'Violations', observedGeneration: generation });
    expect(cond(repo, 'PolicyCompliant')!.message).toBe('1 of 1 tag(s) not signed by release; Critical or worse in v1 (BERTH-2099-0001)');
  });

  it('announces the new vulnerability with one Event, and not again after more reconciles or an operator restart', async () => {
    const events = await waitFor('a NewVulnerability Event', async () => {
      const list = await newVulnerabilityEvents();
      return list.length ? list : undefined;
    });
    expect(events.map((e) => e.message)).toEqual([`BERTH-2099-0001 (Critical) in prod/app@${vulnerableDigest} (tags v1)`]);
    expect((await getRepository()).status!.security!.announced).toHaveLength(1);

    await fx.operator.kill('SIGTERM');
    const restarted = fx.start('repository-security-op-2', { args: operatorArgs(ns) });
    await restarted.waitForLog((l) => l.msg === 'repository reconciled' && l.repository === 'prod/app');
    // Three more status intervals, each a reconcile of the same findings.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await newVulnerabilityEvents()).length).toBe(1);
  });

  it('the workloads\' pull secret is refused an unsigned image with 403 DENIED and the reason; the pusher still pushes and pulls', async () => {
    const ci = await robotClient(ciNs);
    const web = await alpineImage({ busybox: '1.36.1-r29' }, 'clean');
    expect((await ci.push('prod/web', 'v1', web)).status).toBe(201);

    const workload = await robotClient(workloadNs);
    const refused = await workload.getManifest('prod/web', 'v1');
    expect(refused.status).toBe(403);
    const error = denial(refused);
    expect(error.code).toBe('DENIED');
    expect(JSON.stringify(error)).toContain('not signed');
    // The same image is pulled with a credential whose policy requires nothing.
    expect((await (await robotClient(readerNs)).getManifest('prod/web', 'v1')).status).toBe(200);
    // The pusher is exempt: it pulls, pushes again, and signs.
    expect((await ci.getManifest('prod/web', 'v1')).status).toBe(200);
    expect((await ci.push('prod/web', 'v2', await alpineImage({ busybox: '1.36.1-r29' }, 'clean-2'))).status).toBe(201);
    await pushCosignSignature(ci, 'prod/web', key, web.digest);
    // Signed by the trusted key from the Secret: the workload now pulls it.
    expect((await workload.getManifest('prod/web', 'v1')).status).toBe(200);
  });

  it('signed, the vulnerable image is refused under preventVulnerable; an allowlist entry lets it through and the Repository becomes compliant', async () => {
    const ci = await robotClient(ciNs);
    const reader = await robotClient(readerNs);
    const unsigned = await reader.getManifest('prod/app', 'v1');
    expect(unsigned.status).toBe(403);
    expect(JSON.stringify(denial(unsigned))).toContain('not signed');
    await pushCosignSignature(ci, 'prod/app', key, vulnerableDigest);
    const vulnerable = await reader.getManifest('prod/app', 'v1');
    expect(vulnerable.status).toBe(403);
    expect(denial(vulnerable).code).toBe('DENIED');
    expect(JSON.stringify(denial(vulnerable))).toContain('BERTH-2099-0001');

    await client.request('PATCH', `/apis/${REGISTRY_API}/namespaces/${ns}/repositories/app`, {
      body: { spec: { security: { cveAllowlist: [{ id: 'BERTH-2099-0001', expires: '2099-12-31', reason: 'not reachable in this image' }] } } },
      contentType: 'application/merge-patch+json',
    });
    await waitFor('the allowlist in the config', async () => (await renderedConfig()).repositories.find((r) => r.match === 'prod/app')?.security?.cveAllowlist.length === 1);
    await startFromCluster();
    await databaseLoaded();
    expect((await reader.getManifest('prod/app', 'v1')).status).toBe(200);

    const repo = await waitFor('PolicyCompliant for generation 2', async () => {
      const r = await getRepository();
      return cond(r, 'PolicyCompliant')?.status === 'True' && r.status?.observedGeneration === 2 ? r : undefined;
    });
    expect(cond(repo, 'PolicyCompliant')).toMatchObject({ reason: 'Compliant', observedGeneration: 2 });
    // The signature's own `.sig` tag is not an image of the repository: still one tag, now signed; the advisory is still reported.
    expect(repo.status!.security).toMatchObject({ tags: 1, scannedTags: 1, unsignedTags: 0, critical: 1 });
    expect((await newVulnerabilityEvents()).length).toBe(1);
  });

  const patchSecurity = (security: Record<string, unknown>) => client.request('PATCH', `/apis/${REGISTRY_API}/namespaces/${ns}/repositories/app`, {
    body: { spec: { security } }, contentType: 'application/merge-patch+json',
  });

  it('requireSignature.minSignatures 2 with one verified signature: PolicyCompliant False, naming the tag and its count', async () => {
    await patchSecurity({ requireSignature: { keys: ['release'], minSignatures: 2 } });
    await waitFor('minSignatures 2 in the config', async () => (await renderedConfig()).repositories.find((r) => r.match === 'prod/app')?.security?.requireSignature?.minSignatures === 2);
    await startFromCluster();
    await databaseLoaded();
    const repo = await waitFor('PolicyCompliant False for generation 3', async () => {
      const r = await getRepository();
      return cond(r, 'PolicyCompliant')?.status === 'False' && cond(r, 'PolicyCompliant')?.observedGeneration === 3 ? r : undefined;
    }, 60_000);
    expect(cond(repo, 'PolicyCompliant')).toMatchObject({ reason: 'Violations', message: '1 of 1 tag(s) have fewer than 2 signatures by release: v1 (1)' });
    // The registry refuses the pull for the same reason.
    const refused = await (await robotClient(readerNs)).getManifest('prod/app', 'v1');
    expect(refused.status).toBe(403);
    expect(JSON.stringify(denial(refused))).toContain('only 1 trusted signer(s) (release)');
  });

  it('an invalid spec.security fails closed: every pull refused with the reason, pushes still work, the Repository says why', async () => {
    // A key the Registry does not trust: the CRD's schema cannot know, the operator can.
    await patchSecurity({ requireSignature: { keys: ['stolen'], minSignatures: 1 } });
    const entry = await waitFor('the refusal in the config', async () => (await renderedConfig()).repositories.find((r) => r.match === 'prod/app' && r.security?.denyAll));
    expect(entry.security).toEqual({ denyAll: { reason: expect.stringContaining("spec.security.requireSignature.keys: stolen not among the Registry's spec.security.trust.keys") } });
    await startFromCluster();
    const refused = await (await robotClient(readerNs)).getManifest('prod/app', 'v1');
    expect(refused.status).toBe(403);
    expect(denial(refused)).toMatchObject({ code: 'DENIED', detail: { policy: 'denyAll', reason: expect.stringContaining('stolen not among') } });
    // The pusher is exempt: it still pushes and pulls.
    const ci = await robotClient(ciNs);
    expect((await ci.push('prod/app', 'v2', await alpineImage({ busybox: '1.36.1-r29' }, 'while-invalid'))).status).toBe(201);
    expect((await ci.getManifest('prod/app', 'v2')).status).toBe(200);

    const repo = await waitFor('InvalidSpec for generation 4', async () => {
      const r = await getRepository();
      return cond(r, 'Ready')?.reason === 'InvalidSpec' && cond(r, 'Ready')?.observedGeneration === 4 && cond(r, 'Applied')?.message.startsWith('Registry main enforces') ? r : undefined;
    }, 60_000);
    expect(cond(repo, 'Ready')).toMatchObject({ status: 'False', message: expect.stringContaining('every pull of its images is refused until it is fixed') });
    expect(cond(repo, 'Applied')).toMatchObject({ status: 'False', reason: 'InvalidSpec', observedGeneration: 4 });
    expect(cond(repo, 'PolicyCompliant')).toMatchObject({ status: 'False', reason: 'InvalidPolicy', observedGeneration: 4 });
    expect(repo.status!.observedGeneration).toBe(4);
  });
});
