// The operator runs as a ServiceAccount with exactly operator/deploy/rbac.yaml,
// using a token from the TokenRequest API, as it does in a cluster: every
// reconcile path must work without a single 403.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeClient } from '../../operator/src/kube/client.js';
import type { KubeObject } from '../../operator/src/kube/types.js';
import { sharedKubeconfig } from '../harness/control-plane/shared-plane.js';
import { clientFor, createNamespace, serviceAccountKubeconfig, waitFor } from './support/kube.js';
import { withOperator } from './support/operator.js';
import { condition, createRegistry, waitForGone, waitForObject, waitForStatus } from './support/registry.js';

let client: KubeClient;
let ns: string;
let dir: string;
let server: { server: string; caData?: string };
const RBAC = 'rbac.authorization.k8s.io/v1';

const rbacFile = new URL('../../operator/deploy/rbac.yaml', import.meta.url);

/** The ServiceAccount with exactly rbac.yaml bound, and a kubeconfig with its token. */
async function operatorServiceAccount(admin: KubeClient, namespace: string): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), 'berth-rbac-'));
  const [clusterRole, role] = yaml.loadAll(readFileSync(rbacFile, 'utf8')) as KubeObject[];
  await admin.apply(clusterRole);
  await admin.apply({ ...role, metadata: { ...role.metadata, namespace } });
  await admin.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'berth-operator', namespace } });
  const subject = { kind: 'ServiceAccount', name: 'berth-operator', namespace };
  await admin.create({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `berth-operator-${namespace}` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole.metadata.name }, subjects: [subject],
  });
  await admin.create({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'berth-operator-leader-election', namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name }, subjects: [subject],
  });
  const kc = new KubeConfig();
  kc.loadFromFile(sharedKubeconfig());
  const cluster = kc.getCurrentCluster()!;
  server = { server: cluster.server, caData: cluster.caData };
  return serviceAccountKubeconfig(admin, namespace, 'berth-operator', join(dir, 'kubeconfig'), server);
}

const fx = withOperator('rbac', { identity: 'rbac-op', kubeconfig: operatorServiceAccount });
beforeAll(() => ({ client, ns } = fx));
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const forbidden = () => fx.operator.lines.filter((l) => /forbidden/i.test(JSON.stringify(l.error ?? null)));

describe('operator RBAC', () => {
  it('reconciles every kind of object with only the documented permissions', async () => {
    await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's3', namespace: ns }, stringData: { accessKey: 'a', secretKey: 'b' } });
    await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: ns }, stringData: { uri: 'postgresql://berth:pw@db:5432/berth', 'ca.crt': 'ca' } });
    await createRegistry(client, ns, 'wide', {
      replicas: 2, storage: { s3: { endpoint: 'https://s3.test', bucket: 'images', secretRef: { name: 's3' } } }, tls: { selfSigned: true },
      metadata: { postgres: { secretRef: { name: 'db' }, tls: { caSecretRef: { name: 'db' } } } },
    });
    await createRegistry(client, ns, 'small', { storage: { minio: { managed: true } }, metadata: { managed: {} } });
    await createRegistry(client, ns, 'disk', { storage: { filesystem: {} } });
    const wide = await waitForStatus(client, ns, 'wide', 'reconciled', (r) => condition(r, 'StorageReady')?.status === 'True' && condition(r, 'MetadataReady')?.status === 'True');
    expect(wide.status!.signingKeyID).toBeDefined();
    await waitForObject(client, 'policy/v1', 'PodDisruptionBudget', 'wide', ns);
    await waitForStatus(client, ns, 'small', 'reconciled', (r) => !!r.status?.configHash);
    await waitForStatus(client, ns, 'disk', 'reconciled', (r) => !!r.status?.configHash);
    await waitFor('events recorded', async () => (await client.list('v1', 'Event', { namespace: ns })).items.length > 0);
    expect(forbidden()).toEqual([]);
  });

  it('can prune with its permissions', async () => {
    await client.request('PATCH', `/apis/berth.dev/v1alpha1/namespaces/${ns}/registries/wide`, { body: { spec: { replicas: 1 } }, contentType: 'application/merge-patch+json' });
    await waitForGone(client, 'policy/v1', 'PodDisruptionBudget', 'wide', ns, 20_000);
    // The managed PostgreSQL's StatefulSet, Service, volume claim and credentials go with a switch to embedded.
    await waitForObject(client, 'v1', 'PersistentVolumeClaim', 'small-postgres-data', ns);
    await client.request('PATCH', `/apis/berth.dev/v1alpha1/namespaces/${ns}/registries/small`, { body: { spec: { metadata: { managed: null, embedded: {} } } }, contentType: 'application/merge-patch+json' });
    for (const [apiVersion, kind, name] of [['apps/v1', 'StatefulSet', 'small-postgres'], ['v1', 'Service', 'small-postgres'], ['v1', 'PersistentVolumeClaim', 'small-postgres-data'], ['v1', 'Secret', 'small-postgres-credentials']] as const) {
      await waitForGone(client, apiVersion, kind, name, ns, 20_000);
    }
    expect(forbidden()).toEqual([]);
  });

  it('writes the cluster-scoped RBAC of workload identity, and its finalizers remove it', async () => {
    const app = await createNamespace(client, 'rbac-app');
    await client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', namespace: app } });
    await createRegistry(client, ns, 'tokens', { storage: { filesystem: {} }, auth: { federation: { cluster: { verify: 'both' } } } });
    await client.create({
      apiVersion: 'berth.dev/v1alpha1', kind: 'AccessPolicy', metadata: { name: 'web', namespace: ns },
      spec: { registryRef: { name: 'tokens' }, namespaces: { names: [app] }, credentials: ['serviceAccountToken'], serviceAccounts: ['web'], repositories: ['a/*'], actions: ['pull'] },
    });
    const kubelet = `berth:kubelet-audience:${ns}:web`;
    const review = `berth:${ns}:tokens:token-review`;
    await waitForObject(client, RBAC, 'ClusterRole', kubelet, undefined);
    await waitForObject(client, RBAC, 'ClusterRoleBinding', kubelet, undefined);
    await waitForObject(client, RBAC, 'ClusterRoleBinding', review, undefined);
    await waitForObject(client, 'v1', 'ServiceAccount', 'tokens', ns);
    await client.delete('berth.dev/v1alpha1', 'AccessPolicy', 'web', ns);
    await waitForGone(client, RBAC, 'ClusterRole', kubelet, undefined);
    await client.delete('berth.dev/v1alpha1', 'Registry', 'tokens', ns);
    await waitForGone(client, RBAC, 'ClusterRoleBinding', review, undefined);
    expect(forbidden()).toEqual([]);
  });

  it('needs its two escalation-only rules: without them the API server refuses both bindings', async () => {
    const [clusterRole] = yaml.loadAll(readFileSync(rbacFile, 'utf8')) as Array<KubeObject & { rules: Array<{ verbs: string[] }> }>;
    const reduced = `berth-operator-reduced-${ns}`;
    const rules = clusterRole.rules.filter((r) => !r.verbs.includes('bind') && !r.verbs.includes('request-serviceaccounts-token-audience'));
    expect(rules).toHaveLength(clusterRole.rules.length - 2);
    await client.create({ apiVersion: RBAC, kind: 'ClusterRole', metadata: { name: reduced }, rules });
    await client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reduced', namespace: ns } });
    await client.create({
      apiVersion: RBAC, kind: 'ClusterRoleBinding', metadata: { name: reduced },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: reduced }, subjects: [{ kind: 'ServiceAccount', name: 'reduced', namespace: ns }],
    });
    const weaker = clientFor(await serviceAccountKubeconfig(client, ns, 'reduced', join(dir, 'reduced.kubeconfig'), server));
    try {
      const role = { apiVersion: RBAC, kind: 'ClusterRole', metadata: { name: `${reduced}-kubelet` }, rules: [{ apiGroups: [''], resources: ['aud'], verbs: ['request-serviceaccounts-token-audience'], resourceNames: ['web'] }] };
      await expect(weaker.apply(role, { force: true })).rejects.toMatchObject({ status: 403, message: expect.stringMatching(/escalat|not currently held/) });
      const binding = {
        apiVersion: RBAC, kind: 'ClusterRoleBinding', metadata: { name: `${reduced}-review` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' }, subjects: [{ kind: 'ServiceAccount', name: 'x', namespace: ns }],
      };
      await expect(weaker.apply(binding, { force: true })).rejects.toMatchObject({ status: 403 });
    } finally {
      weaker.close();
      await client.delete(RBAC, 'ClusterRoleBinding', reduced);
      await client.delete(RBAC, 'ClusterRole', reduced);
    }
  });
});
