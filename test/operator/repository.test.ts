// Repository objects on a real control plane: their settings are rendered into
// the Registry's config, a registry process started from exactly that config
// (pods do not run here) enforces them, the operator reads the repository's
// figures back into status through the admin API, and `deletionPolicy: Delete`
// deletes the content before the object goes.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { Repository } from '../../operator/src/api/types.js';
import type { KubeClient } from '../../operator/src/kube/client.js';
import type { KubeObject } from '../../operator/src/kube/types.js';
import type { RegistryConfig } from '#contract/config/schema.js';
import { freePort, startRegistryProcess, type RegistryProcess } from '../harness/registry-process.js';
import { OciClient, ociImage, randomBlob, type Answer } from '../harness/oci-client.js';
import { PodSandbox, type PodTemplateSpec } from './helm/pod-sandbox.js';
import { waitFor } from './support/kube.js';
import { withOperator } from './support/operator.js';
import { createRegistry, eventReasons, REGISTRY_API, waitForGone } from './support/registry.js';

type Data = KubeObject & { data: Record<string, string> };

let client: KubeClient;
let ns: string;
let registry: RegistryProcess | undefined;
let port: number;
let dir: string;
let auth: string;
/** The registry as its admin, and anonymously. */
let oci: OciClient;
let anonymous: OciClient;

const fx = withOperator('repos', {
  identity: 'repository-op',
  args: async (namespace) => {
    port = await freePort();
    return [`--registry-url=${namespace}/main=http://127.0.0.1:${port}`, '--repository-status-interval=1'];
  },
  ready: (l) => l.msg === 'controller started' && l.controller === 'repository',
});

beforeAll(() => {
  ({ client, ns } = fx);
  dir = mkdtempSync(join(tmpdir(), 'berth-repos-'));
});

afterAll(async () => {
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const createRepository = (name: string, spec: Record<string, unknown>) =>
  client.create<Repository>({ apiVersion: REGISTRY_API, kind: 'Repository', metadata: { name, namespace: ns }, spec: { registryRef: { name: 'main' }, ...spec } });
const getRepository = (name: string) => client.get<Repository>(REGISTRY_API, 'Repository', name, ns);
const waitForRepository = (name: string, what: string, ok: (r: Repository) => boolean) =>
  waitFor(`Repository ${name}: ${what}`, async () => { const r = await getRepository(name); return ok(r) ? r : undefined; });
const cond = (r: Repository, type: string) => r.status?.conditions?.find((c) => c.type === type);
const renderedConfig = async () => yaml.load((await client.get<Data>('v1', 'ConfigMap', 'main-config', ns)).data['config.yaml']) as RegistryConfig;

/** Starts (or restarts, as a rollout would) the registry from the Deployment's mounted config and Secrets. */
async function startFromCluster(): Promise<void> {
  await registry?.stop();
  const deployment = await client.get<KubeObject & { spec: { template: PodTemplateSpec } }>('apps/v1', 'Deployment', 'main', ns);
  const root = join(dir, 'pod');
  rmSync(join(root, 'etc'), { recursive: true, force: true }); // fresh mounts; the data volume stays
  const sandbox = await PodSandbox.materialize(client, ns, deployment.spec.template, root);
  const config = sandbox.relocate(await renderedConfig());
  mkdirSync(sandbox.hostPath(config.storage.filesystem!.root), { recursive: true });
  registry = await startRegistryProcess({ config, port, dir: root });
  oci = new OciClient(registry.url, { Authorization: auth });
  anonymous = new OciClient(registry.url);
}

/** Pushes a one-layer image (a 32-byte config) under a tag as the admin; returns the manifest PUT's answer, or the refused upload's. */
const pushImage = (repo: string, tag: string, layerSize = 256) => oci.push(repo, tag, ociImage(randomBlob(32), [randomBlob(layerSize)]));
const errorCode = (res: Answer) => (JSON.parse(res.text) as { errors: Array<{ code: string }> }).errors[0].code;
const tags = async (repo: string) => JSON.parse((await oci.call('GET', `/v2/${repo}/tags/list`)).text) as { tags?: string[]; errors?: Array<{ code: string }> };

describe('Repository on a real control plane', () => {
  it('renders each Repository into its Registry\'s config and reports Applied', async () => {
    await createRegistry(client, ns, 'main', { storage: { filesystem: {} } });
    await createRepository('api', {
      name: 'team-a/api', visibility: 'public', deletionPolicy: 'Delete',
      immutability: { enabled: true, tagPatterns: ['v*'] },
      retention: { keepLastTags: 2, dryRun: false },
      quota: { size: '64Ki' },
    });
    await createRepository('keep', { name: 'team-b/keep' });

    const api = await waitForRepository('api', 'Applied', (r) => cond(r, 'Applied')?.status === 'True');
    expect(api.metadata.finalizers).toContain('berth.dev/repository-content');
    expect(api.status!.observedGeneration).toBe(api.metadata.generation);
    const keep = await waitForRepository('keep', 'Applied', (r) => cond(r, 'Applied')?.status === 'True');
    expect(keep.metadata.finalizers ?? []).not.toContain('berth.dev/repository-content'); // Retain is the default
    expect((await renderedConfig()).repositories).toEqual([
      { match: 'team-a/api', anonymousPull: true, immutableTags: ['v*'], quotaBytes: 65536, retention: { keepLastTags: 2, dryRun: false } },
      { match: 'team-b/keep' },
    ]);
    // No registry runs yet: applied, but the figures cannot be read.
    expect(cond(api, 'Ready')).toMatchObject({ status: 'False', reason: 'RegistryUnreachable' });
  });

  it('a registry started from that config enforces immutability, visibility and the quota', async () => {
    const admin = await client.get<Data>('v1', 'Secret', 'main-admin', ns);
    const text = (k: string) => Buffer.from(admin.data[k], 'base64').toString('utf8');
    auth = `Basic ${Buffer.from(`${text('username')}:${text('password')}`).toString('base64')}`;
    expect((await renderedConfig()).auth.admin).toEqual({ username: 'admin', passwordHash: text('passwordHash') });
    await startFromCluster();

    expect((await pushImage('team-a/api', 'v1')).status).toBe(201);
    const moved = await pushImage('team-a/api', 'v1');
    expect(moved.status).toBe(403);
    expect(errorCode(moved)).toBe('DENIED');
    expect((await oci.call('DELETE', '/v2/team-a/api/manifests/v1')).status).toBe(403);
    expect((await pushImage('team-a/api', 'latest')).status).toBe(201);
    expect((await pushImage('team-a/api', 'latest')).status).toBe(201); // not immutable: moves

    // public: anonymous pull; private: a token is needed.
    expect((await anonymous.getManifest('team-a/api', 'v1')).status).toBe(200);
    expect((await pushImage('team-b/keep', 'one')).status).toBe(201);
    expect((await anonymous.getManifest('team-b/keep', 'one')).status).toBe(401);

    // 64 KiB: a 70,000-byte layer is refused before it is stored.
    const big = await oci.uploadBlob('team-a/api', randomBlob(70_000));
    expect(big.status).toBe(403);
    expect(errorCode(big)).toBe('DENIED');
  });

  it('reports the figures the registry holds in status', async () => {
    const api = await waitForRepository('api', 'Ready with 2 tags and 3 manifests', (r) => cond(r, 'Ready')?.status === 'True' && r.status?.tagCount === 2 && r.status.manifestCount === 3);
    expect(cond(api, 'Ready')!.reason).toBe('Synced');
    // v1 and both pushes of latest: 3 manifests, each with its own config and layer.
    expect(api.status).toMatchObject({ manifestCount: 3, quotaLimitBytes: 65536 });
    expect(api.status!.sizeBytes).toBeGreaterThan(3 * 288);
    expect(api.status!.quotaUsedBytes).toBe(api.status!.sizeBytes);
    expect(Date.now() - Date.parse(api.status!.lastPushTime!)).toBeLessThan(5 * 60_000);
    const keep = await waitForRepository('keep', 'one tag', (r) => r.status?.tagCount === 1);
    expect(keep.status!.quotaLimitBytes).toBeUndefined();
  });

  it('retention keeps the newest tags and every immutable one', async () => {
    for (const t of ['a', 'b', 'c']) {
      expect((await pushImage('team-a/api', t, 16)).status).toBe(201);
      await new Promise((r) => setTimeout(r, 20)); // distinct push times
    }
    const res = await oci.call('POST', '/admin/retention');
    expect(res.status).toBe(200);
    expect((await tags('team-a/api')).tags!.sort()).toEqual(['b', 'c', 'v1']);
    await waitForRepository('api', '3 tags', (r) => r.status?.tagCount === 3);
  });

  it('a changed Repository re-renders the config; the restarted registry enforces the new settings', async () => {
    await client.request('PATCH', `/apis/${REGISTRY_API}/namespaces/${ns}/repositories/api`, {
      body: { spec: { immutability: { enabled: false } } }, contentType: 'application/merge-patch+json',
    });
    await waitFor('config without immutable tags', async () => {
      const entry = (await renderedConfig()).repositories.find((r) => r.match === 'team-a/api');
      return !!entry && !entry.immutableTags;
    });
    await startFromCluster();
    expect((await pushImage('team-a/api', 'v1', 16)).status).toBe(201);
    const api = await waitForRepository('api', 'Ready for generation 2', (r) => cond(r, 'Ready')?.status === 'True' && r.status?.observedGeneration === 2);
    expect(cond(api, 'Applied')).toMatchObject({ status: 'True', observedGeneration: 2 });
  });

  it('deletionPolicy Delete deletes the content; Retain leaves it', async () => {
    await client.delete(REGISTRY_API, 'Repository', 'api', ns);
    await waitForGone(client, REGISTRY_API, 'Repository', 'api', ns);
    expect((await tags('team-a/api')).errors?.[0].code).toBe('NAME_UNKNOWN');
    await waitFor('ContentDeleted event', async () => (await eventReasons(client, ns, 'api', 'Repository')).includes('ContentDeleted'));
    await waitFor('settings removed from the config', async () => !(await renderedConfig()).repositories.some((r) => r.match === 'team-a/api'));

    await client.delete(REGISTRY_API, 'Repository', 'keep', ns);
    await waitForGone(client, REGISTRY_API, 'Repository', 'keep', ns);
    expect((await tags('team-b/keep')).tags).toEqual(['one']);
  });

  it('a Repository of a missing Registry says so', async () => {
    await client.create({ apiVersion: REGISTRY_API, kind: 'Repository', metadata: { name: 'orphan', namespace: ns }, spec: { registryRef: { name: 'absent' }, name: 'x/y', deletionPolicy: 'Delete' } });
    const orphan = await waitForRepository('orphan', 'RegistryNotFound', (r) => cond(r, 'Ready')?.reason === 'RegistryNotFound');
    expect(cond(orphan, 'Applied')!.status).toBe('False');
    // Nothing to delete from: the finalizer does not hold the object.
    await client.delete(REGISTRY_API, 'Repository', 'orphan', ns);
    await waitForGone(client, REGISTRY_API, 'Repository', 'orphan', ns);
  });

  it('the admin API the operator uses refuses anyone but the admin', async () => {
    expect((await anonymous.call('GET', '/admin/quotas')).status).toBe(401);
    expect((await oci.call('GET', '/admin/quotas')).status).toBe(200);
  });
});
