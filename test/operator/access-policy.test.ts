// AccessPolicy end to end on the real control plane: the operator (a separate
// process) syncs pull secrets into selected namespaces and renders the registry's
// policy file; a real registry process runs with exactly the config the operator
// rendered (only pod mount paths rewritten to temp files, and the policy Secret
// copied to its file the way the kubelet would), and skopeo pulls with the
// credentials read from the synced Secrets.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { parsePolicy } from '../../registry/src/auth/policy.js';
import type { AccessPolicy } from '../../operator/src/api/types.js';
import { POLICY_REVISION_ANNOTATION } from '../../operator/src/controllers/access-policy/policy-delivery.js';
import type { RegistryPolicyState } from '../../operator/src/controllers/access-policy/state.js';
import { mountedFiles, mountedRevision, policySecrets, ProjectedDir, relocate, robotNames, storedState as storedPolicyState } from '../harness/policy-volume.js';
import type { KubeClient } from '../../operator/src/kube/client.js';
import type { KubeObject, SecretObject as Secret } from '../../operator/src/kube/types.js';
import { OciLayout } from '../harness/oci-layout.js';
import { freePort, startRegistryProcess, type RegistryProcess } from '../harness/registry-process.js';
import { run } from '../harness/tools.js';
import { uniqueName, waitFor } from './support/kube.js';
import { withOperator } from './support/operator.js';
import { createRegistry, waitForGone, waitForObject } from './support/registry.js';

type Any = Record<string, any>;
type ServiceAccount = KubeObject & { imagePullSecrets?: Array<{ name: string }> };

const API = 'berth.dev/v1alpha1';
const SECRET = 'berth-pull-secret';
const OVERLAP_SECONDS = 6;

const fx = withOperator('access', { identity: 'access-op', args: () => ['--policy-propagation-delay=2', '--log-level=debug'] });
let client: KubeClient;
let ns: string;
let registry: RegistryProcess;
let dir: string;
let port: number;
let selectorValue: string;
let syncing = true;
let syncLoop: Promise<void>;
let builderNs: string;

const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
const policyPath = (name: string) => `/apis/${API}/namespaces/${ns}/accesspolicies/${name}`;
const getPolicy = (name: string) => client.get<AccessPolicy>(API, 'AccessPolicy', name, ns);
const pullSecret = (namespace: string) => client.getOptional<Secret>('v1', 'Secret', SECRET, namespace);

async function mergePatch(path: string, body: unknown, fieldManager?: string): Promise<void> {
  await client.request('PATCH', path, { body, contentType: 'application/merge-patch+json', query: { fieldManager } });
}

/** Creates a namespace carrying (or not) the label the `readers` policy selects. */
async function appNamespace(prefix: string, selected: boolean): Promise<string> {
  const name = uniqueName(prefix);
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: selected ? { 'berth-test/pull': selectorValue } : {} } });
  return name;
}

/** The robot credential in a namespace's synced Secret. */
function credentialOf(secret: Secret): { username: string; password: string } {
  const doc = JSON.parse(b64(secret.data!['.dockerconfigjson'])) as { auths: Record<string, { username: string; password: string }> };
  const entry = doc.auths[`127.0.0.1:${port}`];
  return { username: entry.username, password: entry.password };
}

/** Writes the Secret's .dockerconfigjson as a containers auth file, as the kubelet hands it to the runtime. */
function authFile(secret: Secret, name: string): string {
  const file = join(dir, `auth-${name}-${Date.now()}-${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(file, b64(secret.data!['.dockerconfigjson']));
  return file;
}

function credsFile(cred: { username: string; password: string }): string {
  const file = join(dir, `creds-${Date.now()}-${Math.random().toString(16).slice(2)}.json`);
  const auth = Buffer.from(`${cred.username}:${cred.password}`).toString('base64');
  writeFileSync(file, JSON.stringify({ auths: { [`127.0.0.1:${port}`]: { auth } } }));
  return file;
}

const env = () => ({ HOME: dir, XDG_RUNTIME_DIR: dir });

function inspect(auth: string, repo: string) {
  return run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--authfile', auth, `docker://127.0.0.1:${port}/${repo}:v1`], { env: env(), timeoutMs: 30_000 });
}

function push(auth: string, repo: string) {
  return run('skopeo', ['copy', '--dest-tls-verify=false', '--dest-authfile', auth, `oci:${join(dir, 'layout')}:v1`, `docker://127.0.0.1:${port}/${repo}:v1`], { env: env(), timeoutMs: 60_000 });
}

const denied = /denied|unauthorized|authentication required|invalid username\/password/i;

/** The kubelet's part: keep the mounted policy volume equal to the policy Secret and the robot shards (all files swapped at once). */
async function syncPolicyVolume(policyDir: ProjectedDir): Promise<void> {
  while (syncing) {
    const files = mountedFiles(await policySecrets(client, 'main', ns).catch(() => ({ shards: [] })));
    if (files['policy.yaml']) policyDir.write(files);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The operator's rotation state, as stored next to the policy file and the robot files. */
async function storedState(): Promise<RegistryPolicyState> {
  return storedPolicyState(await policySecrets(client, 'main', ns));
}

async function policyFileRobots(): Promise<string[]> {
  const secrets = await policySecrets(client, 'main', ns);
  parsePolicy(mountedFiles(secrets)['policy.yaml']); // the registry accepts it
  return robotNames(secrets);
}

beforeAll(async () => {
  ({ client, ns } = fx);
  selectorValue = ns;
  dir = mkdtempSync(join(tmpdir(), 'berth-access-'));
  port = await freePort();
  await createRegistry(client, ns, 'main', { storage: { filesystem: {} } });
  const cm = await waitForObject<KubeObject & Any>(client, 'v1', 'ConfigMap', 'main-config', ns);
  const keys = await waitForObject<Secret>(client, 'v1', 'Secret', 'main-signing-keys', ns);

  // The registry runs with the operator's config; only pod mount paths become temp files.
  const config = yaml.load(cm.data['config.yaml']) as Any;
  mkdirSync(join(dir, 'keys'));
  for (const k of config.auth.signingKeys) {
    const file = join(dir, 'keys', `${k.kid}.pem`);
    writeFileSync(file, b64(keys.data![`${k.kid}.pem`]));
    k.privateKeyFile = file;
  }
  expect(config.auth.policyFile).toBe('/etc/berth/policy/policy.yaml');
  expect(config.auth.robotFiles).toContain('/etc/berth/policy/robots-0.json');
  relocate(config.auth, join(dir, 'policy'));
  config.storage = { filesystem: { root: join(dir, 'data') } };
  expect(config.metadata.sqlite.path).toBe('/var/lib/berth/_metadata/index.db');
  config.metadata.sqlite.path = join(dir, 'data', '_metadata', 'index.db');
  const policyDir = new ProjectedDir(join(dir, 'policy'));
  policyDir.write({ 'policy.yaml': '{}\n' });
  syncLoop = syncPolicyVolume(policyDir);
  registry = await startRegistryProcess({ config, port, dir });

  const layout = new OciLayout(join(dir, 'layout'));
  await layout.write(layout.image({ layers: 1, layerSize: 2048 }), 'v1');

  // Builders may push to team-a/* and other/*: they seed the images the readers pull.
  builderNs = await appNamespace('builders', false);
  await client.create({
    apiVersion: API, kind: 'AccessPolicy', metadata: { name: 'builders', namespace: ns },
    spec: { registryRef: { name: 'main' }, namespaces: { names: [builderNs] }, repositories: ['team-a/*', 'other/*'], actions: ['pull', 'push'], additionalHosts: [`127.0.0.1:${port}`] },
  });
  const builder = await waitFor('builders pull secret', () => pullSecret(builderNs));
  const auth = authFile(builder, 'builder');
  for (const repo of ['team-a/app', 'other/app']) {
    await waitFor(`push to ${repo}`, async () => (await push(auth, repo)).code === 0, 30_000, 300);
  }
});

afterAll(async () => {
  syncing = false;
  await syncLoop;
  await registry?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('AccessPolicy', () => {
  let appNs: string;

  it('syncs a dockerconfigjson Secret into a namespace created later that matches the selector', async () => {
    await client.create({
      apiVersion: API, kind: 'AccessPolicy', metadata: { name: 'readers', namespace: ns },
      spec: {
        registryRef: { name: 'main' },
        namespaces: { selector: { matchLabels: { 'berth-test/pull': selectorValue } } },
        repositories: ['team-a/*'], actions: ['pull'], serviceAccounts: ['default'],
        overlap: `${OVERLAP_SECONDS}s`, additionalHosts: [`127.0.0.1:${port}`],
      },
    });
    const unselected = await appNamespace('elsewhere', false);
    appNs = await appNamespace('app', true);
    const secret = await waitFor('pull secret', () => pullSecret(appNs));
    expect(secret.type).toBe('kubernetes.io/dockerconfigjson');
    expect(secret.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'berth-operator', 'berth.dev/registry': 'main' });
    expect(secret.metadata.annotations).toMatchObject({ 'berth.dev/access-policy': `${ns}/readers` });
    const auths = JSON.parse(b64(secret.data!['.dockerconfigjson'])).auths;
    expect(Object.keys(auths).sort()).toEqual([`127.0.0.1:${port}`, `main.${ns}.svc.cluster.local:5000`, `main.${ns}.svc:5000`, `main.${ns}:5000`].sort());
    expect(credentialOf(secret).username).toBe(`ap/readers/${appNs}`);
    expect(await pullSecret(unselected)).toBeUndefined();

    // The registry's policy and robot files hold only hashes: no plaintext from any Secret.
    const files = JSON.stringify(mountedFiles(await policySecrets(client, 'main', ns)));
    expect(files).not.toContain(credentialOf(secret).password);
    expect(await policyFileRobots()).toContain(`ap/readers/${appNs}`);
  });

  it('pulls the allowed repository with the synced credentials; other repositories and push are denied', async () => {
    const auth = authFile((await pullSecret(appNs))!, 'reader');
    await waitFor('pull of team-a/app', async () => (await inspect(auth, 'team-a/app')).code === 0, 20_000, 300);
    const other = await inspect(auth, 'other/app');
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(denied);
    const pushed = await push(auth, 'team-a/new');
    expect(pushed.code).not.toBe(0);
    expect(pushed.stderr).toMatch(denied);
    // The builders' credentials were granted push.
    expect((await push(authFile((await pullSecret(builderNs))!, 'builder'), 'team-a/new')).code).toBe(0);
  });

  it('reports status: counts, Ready/Synced/Degraded and the next rotation time', async () => {
    const p = await waitFor('readers status', async () => {
      const got = await getPolicy('readers');
      return got.status?.syncedNamespaceCount === 1 && got.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? got : undefined;
    });
    expect(p.status).toMatchObject({ observedGeneration: 1, namespaceCount: 1, syncedNamespaceCount: 1, failedNamespaces: [] });
    expect(p.status!.conditions!.map((c) => [c.type, c.status, c.reason])).toEqual(expect.arrayContaining([
      ['Ready', 'True', 'Synced'], ['Synced', 'True', 'AllSynced'], ['Degraded', 'False', 'AsExpected'],
    ]));
    const next = Date.parse(p.status!.nextRotationTime!);
    expect(next).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(JSON.stringify(p.status)).not.toContain(credentialOf((await pullSecret(appNs))!).password);
  });

  it('adds the Secret to the selected ServiceAccounts, keeping entries other field managers own', async () => {
    await waitFor('default SA patched', async () => {
      const sa = await client.getOptional<ServiceAccount>('v1', 'ServiceAccount', 'default', appNs);
      return sa?.imagePullSecrets?.some((e) => e.name === SECRET);
    });
    // Another owner (say Argo CD) adds its own entry to the same atomic list.
    const sa = await client.get<ServiceAccount>('v1', 'ServiceAccount', 'default', appNs);
    await client.request('PATCH', `/api/v1/namespaces/${appNs}/serviceaccounts/default`, {
      body: [{ op: 'test', path: '/metadata/resourceVersion', value: sa.metadata.resourceVersion }, { op: 'add', path: '/imagePullSecrets/-', value: { name: 'gitops-registry' } }],
      contentType: 'application/json-patch+json', query: { fieldManager: 'argocd-controller' },
    });
    // A ServiceAccount the policy does not name is left alone; naming it adds the entry there too.
    await client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder', namespace: appNs }, imagePullSecrets: [{ name: 'own' }] });
    await mergePatch(policyPath('readers'), { spec: { serviceAccounts: ['default', 'builder'] } });
    const builder = await waitFor('builder SA patched', async () => {
      const got = await client.get<ServiceAccount>('v1', 'ServiceAccount', 'builder', appNs);
      return got.imagePullSecrets?.some((e) => e.name === SECRET) ? got : undefined;
    });
    expect(builder.imagePullSecrets!.map((e) => e.name)).toEqual(['own', SECRET]);
    const def = await client.get<ServiceAccount>('v1', 'ServiceAccount', 'default', appNs);
    expect(def.imagePullSecrets!.map((e) => e.name).sort()).toEqual(['gitops-registry', SECRET].sort());

    // Opting the ServiceAccounts out removes only our entry.
    await mergePatch(policyPath('readers'), { spec: { serviceAccounts: [] } });
    await waitFor('entries removed', async () => {
      const [d, b] = await Promise.all(['default', 'builder'].map((n) => client.get<ServiceAccount>('v1', 'ServiceAccount', n, appNs)));
      return !d.imagePullSecrets?.some((e) => e.name === SECRET) && !b.imagePullSecrets?.some((e) => e.name === SECRET) ? true : undefined;
    });
    expect((await client.get<ServiceAccount>('v1', 'ServiceAccount', 'default', appNs)).imagePullSecrets).toEqual([{ name: 'gitops-registry' }]);
    expect((await client.get<ServiceAccount>('v1', 'ServiceAccount', 'builder', appNs)).imagePullSecrets).toEqual([{ name: 'own' }]);
    await mergePatch(policyPath('readers'), { spec: { serviceAccounts: ['default'] } });
  });

  it('restores a Secret edited by hand, with credentials that pull', async () => {
    const before = (await pullSecret(appNs))!;
    const garbage = Buffer.from(JSON.stringify({ auths: { 'evil.example': { auth: Buffer.from('x:y').toString('base64') } } })).toString('base64');
    await mergePatch(`/api/v1/namespaces/${appNs}/secrets/${SECRET}`, { data: { '.dockerconfigjson': garbage } }, 'kubectl-edit');
    const restored = await waitFor('restored secret', async () => {
      const s = await pullSecret(appNs);
      return s && s.data?.['.dockerconfigjson'] !== garbage && s.metadata.resourceVersion !== before.metadata.resourceVersion ? s : undefined;
    });
    expect(credentialOf(restored).username).toBe(`ap/readers/${appNs}`);
    const auth = authFile(restored, 'restored');
    await waitFor('pull with restored credentials', async () => (await inspect(auth, 'team-a/app')).code === 0, 20_000, 300);
  });

  it('recreates a deleted Secret, with credentials that pull', async () => {
    const before = (await pullSecret(appNs))!;
    await client.delete('v1', 'Secret', SECRET, appNs);
    const recreated = await waitFor('recreated secret', async () => {
      const s = await pullSecret(appNs);
      return s && s.metadata.uid !== before.metadata.uid ? s : undefined;
    });
    const auth = authFile(recreated, 'recreated');
    await waitFor('pull with recreated credentials', async () => (await inspect(auth, 'team-a/app')).code === 0, 20_000, 300);
  });

  it('rotates on demand with zero failed pulls, and rejects the old credential after the overlap', async () => {
    const old = (await pullSecret(appNs))!;
    const oldCred = credentialOf(old);
    await mergePatch(policyPath('readers'), { metadata: { annotations: { 'berth.dev/rotate': 'now-1' } } });

    // Pull continuously, reading the Secret before each pull as the kubelet does, until the
    // new credential is in place and the old one's overlap is over (bounded in count).
    const failures: string[] = [];
    let pulls = 0;
    let switchedAt: number | undefined;
    for (let i = 0; i < 400; i++) {
      const s = (await pullSecret(appNs))!;
      const r = await inspect(authFile(s, 'loop'), 'team-a/app');
      pulls++;
      if (r.code !== 0) failures.push(r.stderr.trim().split('\n').pop() ?? '');
      if (switchedAt === undefined && credentialOf(s).password !== oldCred.password) switchedAt = Date.now();
      if (switchedAt !== undefined && Date.now() > switchedAt + (OVERLAP_SECONDS + 2) * 1000) break;
    }
    expect(switchedAt).toBeDefined();
    expect(failures).toEqual([]);
    expect(pulls).toBeGreaterThan(5);

    // The old credential is refused once its overlap is over; the new one keeps working.
    await waitFor('old credential rejected', async () => {
      const r = await inspect(credsFile(oldCred), 'team-a/app');
      return r.code !== 0 && denied.test(r.stderr);
    }, 20_000, 500);
    expect((await inspect(authFile((await pullSecret(appNs))!, 'new'), 'team-a/app')).code).toBe(0);
    const p = await getPolicy('readers');
    expect(p.status!.lastRotationTime).toBeDefined();
    const events = await client.list<KubeObject & { reason: string; message: string; involvedObject: { name: string } }>('v1', 'Event', { namespace: ns });
    const ours = events.items.filter((e) => e.involvedObject.name === 'readers');
    expect(ours.map((e) => e.reason)).toContain('Rotated');
    for (const e of ours) {
      expect(e.message).not.toContain(oldCred.password);
      expect(e.message).not.toContain(credentialOf((await pullSecret(appNs))!).password);
    }
    for (const line of fx.operator.lines) {
      expect(JSON.stringify(line)).not.toContain(oldCred.password);
    }
  });

  it('converges after the operator is killed in the middle of a rotation, still with zero failed pulls', async () => {
    const old = credentialOf((await pullSecret(appNs))!);
    await mergePatch(policyPath('readers'), { metadata: { annotations: { 'berth.dev/rotate': 'now-2' } } });
    // Wait until the successor is in the registry's policy but not yet in the pull secret.
    await waitFor('a pending successor', async () => {
      const robot = (await storedState()).robots[`ap/readers/${appNs}`];
      return robot?.secrets.some((x) => !x.activatedAt);
    }, 20_000, 50);
    await fx.operator.kill('SIGKILL');
    fx.start('access-op-2', { leaseName: 'after-crash', args: ['--policy-propagation-delay=2'] });
    const failures: string[] = [];
    let switched = false;
    for (let i = 0; i < 300 && !switched; i++) {
      const s = (await pullSecret(appNs))!;
      const r = await inspect(authFile(s, 'crash'), 'team-a/app');
      if (r.code !== 0) failures.push(r.stderr.trim().split('\n').pop() ?? '');
      switched = credentialOf(s).password !== old.password;
    }
    expect(switched).toBe(true);
    expect(failures).toEqual([]);
    // The new process minted its own successor (the first one's plaintext died with it): one active, one in overlap.
    const robot = (await storedState()).robots[`ap/readers/${appNs}`];
    expect(robot.secrets.filter((x) => !x.expiresAt)).toHaveLength(1);
    expect(robot.secrets.every((x) => x.activatedAt)).toBe(true);
    expect((await inspect(authFile((await pullSecret(appNs))!, 'after'), 'team-a/app')).code).toBe(0);
  });

  it('annotates the registry pods with each new policy revision, so the kubelet re-reads the policy Secret at once', async () => {
    // No controller manager or node here: two pods with the Deployment's pod labels stand in for its replicas.
    const labels = { 'app.kubernetes.io/name': 'berth-registry', 'app.kubernetes.io/instance': 'main' };
    for (const name of ['main-replica-a', 'main-replica-b']) {
      await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels }, spec: { containers: [{ name: 'registry', image: 'berth.local/registry:test' }] } });
    }
    const registryPods = async () => (await client.list<KubeObject>('v1', 'Pod', {
      namespace: ns, labelSelector: 'app.kubernetes.io/name=berth-registry,app.kubernetes.io/instance=main',
    })).items.filter((p) => !p.metadata.deletionTimestamp);
    const current = async () => mountedRevision(await policySecrets(client, 'main', ns));
    const before = await current();
    const nudged = await appNamespace('nudged', true); // a new robot: the policy file changes
    const after = await waitFor('a new policy revision', async () => { const r = await current(); return r !== before && r; });
    await waitFor('every registry pod annotated with it', async () => {
      const pods = await registryPods();
      const revision = await current();
      return pods.length === 2 && pods.every((p) => p.metadata.annotations?.[POLICY_REVISION_ANNOTATION] === revision);
    }, 20_000);
    expect(after).toMatch(/^[0-9a-f]{16}$/);
    await client.delete('v1', 'Namespace', nudged);
  });

  it('reports namespaces that fail, and why, with a Warning event', async () => {
    const taken = await appNamespace('taken', false);
    await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: SECRET, namespace: taken }, type: 'Opaque', data: { x: 'eA==' } });
    await mergePatch(policyPath('readers'), { spec: { namespaces: { names: [taken, 'no-such-namespace'] } } });
    const p = await waitFor('failures in status', async () => {
      const got = await getPolicy('readers');
      return (got.status?.failedNamespaces ?? []).length === 2 ? got : undefined;
    });
    expect(p.status!.failedNamespaces).toEqual([
      { namespace: 'no-such-namespace', reason: 'NamespaceNotFound', message: expect.any(String) },
      { namespace: taken, reason: 'SecretNameTaken', message: expect.stringContaining('already exists') },
    ]);
    expect(p.status!.conditions!.find((c) => c.type === 'Degraded')).toMatchObject({ status: 'True', reason: 'SyncFailed' });
    expect(p.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False' });
    // The foreign Secret is untouched.
    expect((await client.get<Secret>('v1', 'Secret', SECRET, taken)).type).toBe('Opaque');
    await waitFor('SyncFailed event', async () => {
      const events = await client.list<KubeObject & { reason: string; involvedObject: { name: string } }>('v1', 'Event', { namespace: ns });
      return events.items.some((e) => e.involvedObject.name === 'readers' && e.reason === 'SyncFailed');
    });
    await mergePatch(policyPath('readers'), { spec: { namespaces: { names: null } } });
  });

  it('removes the Secret, the ServiceAccount entry and the robot when a namespace stops matching', async () => {
    await waitFor('default SA patched', async () => {
      const sa = await client.get<ServiceAccount>('v1', 'ServiceAccount', 'default', appNs);
      return sa.imagePullSecrets?.some((e) => e.name === SECRET);
    });
    const cred = credentialOf((await pullSecret(appNs))!);
    await mergePatch(`/api/v1/namespaces/${appNs}`, { metadata: { labels: { 'berth-test/pull': null } } });
    await waitForGone(client, 'v1', 'Secret', SECRET, appNs, 20_000);
    await waitFor('robot removed', async () => !(await policyFileRobots()).includes(`ap/readers/${appNs}`));
    expect((await client.get<ServiceAccount>('v1', 'ServiceAccount', 'default', appNs)).imagePullSecrets).toEqual([{ name: 'gitops-registry' }]);
    await waitFor('revoked credential refused', async () => {
      const r = await inspect(credsFile(cred), 'team-a/app');
      return r.code !== 0 && denied.test(r.stderr);
    }, 20_000, 500);
    // Matching again brings it all back.
    await mergePatch(`/api/v1/namespaces/${appNs}`, { metadata: { labels: { 'berth-test/pull': selectorValue } } });
    await waitFor('pull secret again', () => pullSecret(appNs));
  });

  it('cleans up secrets, ServiceAccount entries and robots before the policy goes', async () => {
    const second = await appNamespace('second', true);
    await waitFor('second pull secret', () => pullSecret(second));
    await waitFor('default SAs patched', async () => {
      const sas = await Promise.all([appNs, second].map((n) => client.getOptional<ServiceAccount>('v1', 'ServiceAccount', 'default', n)));
      return sas.every((sa) => sa?.imagePullSecrets?.some((e) => e.name === SECRET));
    });
    const p = await getPolicy('readers');
    expect(p.metadata.finalizers).toContain('berth.dev/access-policy-cleanup');
    await client.delete(API, 'AccessPolicy', 'readers', ns);
    await waitForGone(client, API, 'AccessPolicy', 'readers', ns, 30_000);
    for (const n of [appNs, second]) {
      expect(await pullSecret(n)).toBeUndefined();
      const sa = await client.get<ServiceAccount>('v1', 'ServiceAccount', 'default', n);
      expect((sa.imagePullSecrets ?? []).some((e) => e.name === SECRET)).toBe(false);
    }
    expect((await client.get<ServiceAccount>('v1', 'ServiceAccount', 'default', appNs)).imagePullSecrets).toEqual([{ name: 'gitops-registry' }]);
    const robots = await policyFileRobots();
    expect(robots.filter((r) => r.startsWith('ap/readers/'))).toEqual([]);
    // The other policy's robot is still there: the file is the union of every policy.
    expect(robots).toContain(`ap/builders/${builderNs}`);
  });
});
