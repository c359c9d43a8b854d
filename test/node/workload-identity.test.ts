// Pulls with pods' own ServiceAccount tokens on the real node (KEP-4412): the
// kubelet runs berth-credential-provider (test/harness/node/credential-provider.ts),
// asks the API server for a pod-bound token with the Registry's audience (which
// NodeRestriction allows only for ServiceAccounts the operator's kubelet RBAC
// names), and the registry maps it to system:serviceaccount:<ns>:<sa>. No pod here
// has an imagePullSecret. The chart's installer DaemonSet is checked on the same
// node. Everything is removed afterwards: the end-to-end file installs the chart again.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../operator/src/kube/types.js';
import { binDir } from '../harness/control-plane/binaries.js';
import { CHART_DIR } from '../harness/helm-chart.js';
import { IDENTITY_REGISTRY, providerConfigPath } from '../harness/node/credential-provider.js';
import { addLocalVolumes } from '../harness/node/volumes.js';
import { condition, REGISTRY_API, waitForStatus } from '../operator/support/registry.js';
import { connect, deletePodsNow, waitFor, type Cluster } from './support/cluster.js';
import { fileInArchive } from './support/image-file.js';
import { Crane, credentialFrom, endpointOf, token } from './support/registry-access.js';
import { pullAndRun } from './support/workloads.js';
import { figure, seconds } from './support/figures.js';
import { uninstallBerth } from './support/teardown.js';

const RELEASE = 'berth-wi';
const RELEASE_NS = 'berth-wi';
const { name: REG, namespace: NS } = IDENTITY_REGISTRY;
const HOST = `${REG}.${NS}.svc:5000`;
const AUDIENCE = `${REG}.${NS}.svc`;
const CI_NS = 'wi-ci';
const WEB_NS = 'wi-web';
const APP = 'wi/app:v1';
const PROVIDER = 'berth-credential-provider';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let cluster: Cluster;
let hostDir: string;

beforeAll(async () => {
  cluster = connect();
  // The Registry claims a local volume (reclaim Retain): put one back for the files after this one.
  await addLocalVolumes(cluster.client, cluster.info.volumesDir, 1);
  hostDir = join(cluster.info.dir, `installer-host-${Date.now().toString(36)}`);
  for (const ns of [NS, CI_NS, WEB_NS]) await cluster.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  for (const sa of ['web', 'other']) await cluster.client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: WEB_NS } });
}, 60_000);

afterAll(async () => {
  if (!cluster) return;
  await uninstallBerth(cluster, {
    namespace: NS, registry: REG, policies: ['wi-tokens', 'wi-ci'], release: RELEASE, releaseNamespace: RELEASE_NS, namespaces: [WEB_NS, CI_NS, NS, RELEASE_NS],
  });
  cluster.close();
}, 5 * 60_000);

describe('the chart\'s credential-provider installer DaemonSet', () => {
  it('copies the provider from its image into the host directory, executable, byte for byte', async () => {
    const image = cluster.info.images['credential-provider'];
    const [repository, tag] = image.ref.split(':');
    const t0 = Date.now();
    await cluster.helmOk(['install', RELEASE, CHART_DIR, '-n', RELEASE_NS, '--create-namespace', '--wait', '--timeout', '5m',
      '--set', 'credentialProvider.installer.enabled=true',
      '--set', `credentialProvider.installer.image.repository=${repository}`, '--set', `credentialProvider.installer.image.tag=${tag}`,
      '--set', `credentialProvider.installer.hostDir=${hostDir}`, '--set', `credentialProvider.installer.pauseImage=${cluster.info.images.pause.ref}`,
      // Pull secrets of the push policy below switch over after this delay (default 120 s).
      '--set', 'operator.policyPropagationDelaySeconds=5']);
    figure('helm install with the provider installer (--wait)', `${seconds(t0)} s`);
    const ds = await cluster.client.get<KubeObject & { status: { numberReady?: number; desiredNumberScheduled?: number } }>('apps/v1', 'DaemonSet', `${RELEASE}-credential-provider`, RELEASE_NS);
    expect(ds.status.desiredNumberScheduled).toBe(1);
    expect(ds.status.numberReady).toBe(1);
    const installed = join(hostDir, PROVIDER);
    const mode = statSync(installed).mode;
    expect(mode & 0o111).toBe(0o111);
    const hash = sha256(readFileSync(installed));
    expect(hash).toBe(sha256(fileInArchive(image.archive, `/${PROVIDER}`)));
    expect(hash).toBe(sha256(readFileSync(join(binDir, PROVIDER))));
    figure('installed provider', `${statSync(installed).size} bytes, mode ${(mode & 0o777).toString(8)}, sha256 ${hash.slice(0, 16)}…`);
  }, 6 * 60_000);
});

describe('a pod pulls from Berth with its own ServiceAccount token, without a pull secret', () => {
  it('the Registry renders exactly the CredentialProviderConfig the kubelet runs with', async () => {
    await cluster.client.create({
      apiVersion: REGISTRY_API, kind: 'Registry', metadata: { name: REG, namespace: NS },
      spec: { storage: { filesystem: { persistentVolumeClaim: { size: '20Gi' } } }, auth: { federation: { cluster: { verify: 'both' } } } },
    });
    const t0 = Date.now();
    await waitForStatus(cluster.client, NS, REG, 'Ready', (r) => condition(r, 'Ready')?.status === 'True', 5 * 60_000);
    figure('Registry with the cluster issuer Ready', `${seconds(t0)} s`);
    const cm = await cluster.client.get<KubeObject & { data: Record<string, string> }>('v1', 'ConfigMap', `${REG}-credential-provider`, NS);
    expect(cm.data['credential-provider-config.yaml']).toBe(readFileSync(providerConfigPath(join(cluster.info.dir, 'kubelet')), 'utf8'));
    expect(cm.data['credential-provider-config.yaml']).toContain(`serviceAccountTokenAudience: ${AUDIENCE}`);
  }, 6 * 60_000);

  it('pushes with a CI credential; ServiceAccount web pulls and runs, identified as itself; other gets ErrImagePull', async () => {
    const c = cluster.client;
    const policy = (name: string, spec: Record<string, unknown>) => c.create({ apiVersion: REGISTRY_API, kind: 'AccessPolicy', metadata: { name, namespace: NS }, spec: { registryRef: { name: REG }, ...spec } });
    const tPush = Date.now();
    await policy('wi-ci', { namespaces: { names: [CI_NS] }, repositories: ['wi/**'], actions: ['pull', 'push'], secretName: 'berth-push-secret' });
    const tTokens = Date.now();
    await policy('wi-tokens', { namespaces: { names: [WEB_NS] }, credentials: ['serviceAccountToken'], serviceAccounts: ['web'], repositories: ['wi/**'], actions: ['pull'] });

    const ep = await endpointOf(c, NS, REG);
    const cred = await waitFor('the push secret', () => credentialFrom(c, CI_NS, 'berth-push-secret', HOST).catch(() => undefined), 120_000, 1000);
    const crane = await Crane.login(ep, cred);
    try {
      // Until the kubelet delivers the policy Secret to the registry pod, the robot is unknown (401).
      await waitFor('a push with the CI credential', () => crane.push(cluster.info.images.busybox.archive, APP).catch(() => undefined), 150_000, 2000);
      figure('push policy created → first push accepted', `${seconds(tPush)} s`);
    } finally {
      crane.close();
    }

    // The grant reaches the registry the same way: ask for it with a token of web until it is there.
    type Role = KubeObject & { rules: Array<{ resources: string[]; verbs: string[]; resourceNames: string[] }> };
    const roles = await waitFor('the kubelet RBAC', async () => (await c.list<Role>('rbac.authorization.k8s.io/v1', 'ClusterRole', { labelSelector: 'app.kubernetes.io/name=berth-kubelet-audience' })).items.find((r) => r.metadata.name.includes(':wi-tokens')), 60_000, 500);
    expect(roles.rules).toEqual([{ apiGroups: [''], resources: [AUDIENCE], verbs: ['request-serviceaccounts-token-audience'], resourceNames: ['web'] }]);
    const saToken = async (sa: string) => (await c.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${WEB_NS}/serviceaccounts/${sa}/token`,
      { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [AUDIENCE], expirationSeconds: 600 } } })).status.token;
    const granted = async (sa: string) => {
      const t = await token(ep, { username: 'serviceaccount', password: await saToken(sa) }, 'repository:wi/app:pull');
      const claims = JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString()) as { access: Array<{ actions: string[] }> };
      return claims.access.some((a) => a.actions.includes('pull'));
    };
    await waitFor('the token grant in the registry', async () => ((await granted('web')) ? true : undefined), 150_000, 1000);
    figure('token policy created → registry grants web', `${seconds(tTokens)} s`);
    expect(await granted('other')).toBe(false);

    const since = Date.now();
    const web = await pullAndRun(c, WEB_NS, 'web-pull', `${HOST}/${APP}`, 120_000, { serviceAccountName: 'web' });
    if (!web.ok) throw new Error(`web could not pull: ${web.reason}: ${web.message}`);
    figure('pod of ServiceAccount web: created → pulled with its token and ran', `${web.seconds.toFixed(1)} s`);
    const pod = await c.get<KubeObject & { spec: { imagePullSecrets?: unknown[] } }>('v1', 'Pod', 'web-pull', WEB_NS);
    expect(pod.spec.imagePullSecrets ?? []).toEqual([]);
    const log = await cluster.kubectl(['-n', NS, 'logs', `deploy/${REG}`, '--since-time', new Date(since - 1000).toISOString()]);
    const issued = log.split('\n').filter((l) => l.includes('"token issued"') && l.includes(`system:serviceaccount:${WEB_NS}:web`));
    expect(issued.length).toBeGreaterThan(0);
    expect(issued.some((l) => l.includes('"pod":"web-pull"'))).toBe(true); // a pod-bound token: the kubelet's, not ours

    const other = await pullAndRun(c, WEB_NS, 'other-pull', `${HOST}/${APP}`, 120_000, { serviceAccountName: 'other' });
    expect(other.ok).toBe(false);
    if (!other.ok) {
      expect(other.reason).toMatch(/ErrImagePull|ImagePullBackOff/);
      figure('pod of ServiceAccount other: pull refused', other.message.split('\n')[0].slice(0, 300));
    }
    // Refused at the node already: NodeRestriction lets the kubelet request the audience only for
    // the ServiceAccounts the policy's kubelet RBAC names.
    const kubeletLog = readFileSync(join(cluster.info.dir, 'kubelet', 'kubelet.log'), 'utf8').split('\n');
    expect(kubeletLog.some((l) => l.includes('pod="wi-web/other-pull"') && l.includes(`is not authorized to request tokens for audience \\"${AUDIENCE}\\"`))).toBe(true);
    await deletePodsNow(c, WEB_NS, ['web-pull', 'other-pull']);
  }, 10 * 60_000);
});
