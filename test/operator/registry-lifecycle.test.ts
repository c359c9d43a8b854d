// A Registry's whole life against a real apiserver + controller manager, with the
// operator running as a separate process.
import yaml from 'js-yaml';
import type { Registry } from '../../operator/src/api/types.js';
import type { KubeClient } from '../../operator/src/kube/client.js';
import type { KubeObject } from '../../operator/src/kube/types.js';
import { patchStatus, waitFor } from './support/kube.js';
import { withOperator } from './support/operator.js';
import { condition, createRegistry, eventReasons, patchRegistrySpec, REGISTRY_API, waitForGone, waitForObject, waitForStatus } from './support/registry.js';

type Any = Record<string, any>;

const fx = withOperator('lifecycle', { identity: 'lifecycle-op' });
let client: KubeClient;
let ns: string;
const name = 'main';
beforeAll(() => ({ client, ns } = fx));

const dep = () => client.get<KubeObject & Any>('apps/v1', 'Deployment', name, ns);

describe('Registry lifecycle', () => {
  it('applies a Registry and every object appears with the expected fields', async () => {
    const created = await createRegistry(client, ns, name, { storage: { filesystem: {} } });
    // CRD defaults are applied by the API server.
    expect(created.spec).toMatchObject({ replicas: 1, service: { type: 'ClusterIP', port: 5000 }, auth: { enabled: true, signingKeyRotationPeriod: '720h' } });

    const reg = await waitForStatus(client, ns, name, 'reconciled', (r) => !!r.status?.configHash);
    expect(reg.status).toMatchObject({ observedGeneration: 1, endpoint: `${name}.${ns}.svc:5000`, readyReplicas: 0 });
    expect(condition(reg, 'Ready')).toMatchObject({ status: 'False', reason: 'StorageNotReady', observedGeneration: 1 });
    expect(condition(reg, 'StorageReady')).toMatchObject({ status: 'False', reason: 'VolumeClaimPending' });
    expect(condition(reg, 'Progressing')).toMatchObject({ status: 'True', reason: 'RollingOut' });
    expect(condition(reg, 'Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected' });

    const d = await dep();
    expect(d.metadata.ownerReferences).toEqual([{ apiVersion: REGISTRY_API, kind: 'Registry', name, uid: reg.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(d.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'berth-operator', 'berth.dev/registry': name });
    expect((d.metadata as Any).managedFields.some((f: Any) => f.manager === 'berth-operator' && f.operation === 'Apply')).toBe(true);
    expect(d.spec.template.metadata.annotations['berth.dev/config-hash']).toBe(reg.status!.configHash);
    const pod = d.spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.containers[0]).toMatchObject({
      command: ['berth-registry', '--config', '/etc/berth/config.yaml'],
      securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
      readinessProbe: { httpGet: { path: '/readyz', port: 'http' } },
      livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
      resources: { requests: { cpu: '100m', memory: '128Mi' } },
    });

    const cm = await client.get<KubeObject & Any>('v1', 'ConfigMap', `${name}-config`, ns);
    expect(cm.data['config.yaml']).toContain('listen: 0.0.0.0:5000');
    const keys = await client.get<KubeObject & Any>('v1', 'Secret', `${name}-signing-keys`, ns);
    expect(Object.keys(keys.data)).toEqual([`${reg.status!.signingKeyID}.pem`]);
    expect(cm.data['config.yaml']).toContain(`/etc/berth/keys/${reg.status!.signingKeyID}.pem`);
    const svc = await client.get<KubeObject & Any>('v1', 'Service', name, ns);
    expect(svc.spec.ports[0]).toMatchObject({ name: 'http', port: 5000, targetPort: 'http' });
    expect(svc.spec.clusterIP).toMatch(/^10\.0\.0\./);
    const pvc = await client.get<KubeObject & Any>('v1', 'PersistentVolumeClaim', `${name}-data`, ns);
    expect(pvc.spec.resources.requests.storage).toBe('10Gi');
    await expect(client.get('policy/v1', 'PodDisruptionBudget', name, ns)).rejects.toMatchObject({ status: 404 });
    expect(await eventReasons(client, ns, name)).toContain('SigningKeyCreated');
  });

  it('computes Ready, Progressing and StorageReady from the observed workload status', async () => {
    const before = await client.get<Registry>(REGISTRY_API, 'Registry', name, ns);
    const readySince = condition(before, 'Ready')!.lastTransitionTime;
    const degradedSince = condition(before, 'Degraded')!.lastTransitionTime;
    await new Promise((r) => setTimeout(r, 1100)); // condition times have one-second resolution
    await patchStatus(client, `/api/v1/namespaces/${ns}/persistentvolumeclaims/${name}-data`, { phase: 'Bound' });
    const generation = (await dep()).metadata.generation;
    await patchStatus(client, `/apis/apps/v1/namespaces/${ns}/deployments/${name}`, {
      observedGeneration: generation, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1,
    });
    const reg = await waitForStatus(client, ns, name, 'Ready=True', (r) => condition(r, 'Ready')?.status === 'True');
    expect(condition(reg, 'Ready')!.reason).toBe('Available');
    // lastTransitionTime moves only for conditions whose status flipped.
    expect(condition(reg, 'Ready')!.lastTransitionTime > readySince).toBe(true);
    expect(condition(reg, 'Degraded')).toMatchObject({ status: 'False', lastTransitionTime: degradedSince });
    expect(condition(reg, 'StorageReady')).toMatchObject({ status: 'True', reason: 'VolumeClaimBound' });
    expect(condition(reg, 'Progressing')).toMatchObject({ status: 'False', reason: 'RolloutComplete' });
    expect(reg.status!.readyReplicas).toBe(1);
    await waitFor('Ready event', async () => (await eventReasons(client, ns, name)).includes('Ready'));
  });

  it('updates the objects when the spec changes, and the config hash rolls the pods', async () => {
    const before = await client.get<Registry>(REGISTRY_API, 'Registry', name, ns);
    expect(before.spec.ui).toBeUndefined();
    await patchRegistrySpec(client, ns, name, { logLevel: 'debug', gc: { interval: '12h' }, ui: {} });
    const reg = await waitForStatus(client, ns, name, 'new config hash', (r) => r.status!.configHash !== before.status!.configHash);
    expect(reg.status!.observedGeneration).toBe(2);
    const cm = await client.get<KubeObject & Any>('v1', 'ConfigMap', `${name}-config`, ns);
    expect(cm.data['config.yaml']).toContain('level: debug');
    expect(cm.data['config.yaml']).toContain('intervalSeconds: 43200');
    // The API server filled ui.enabled's default; the operator rendered it.
    expect(reg.spec.ui).toEqual({ enabled: true });
    expect((yaml.load(cm.data['config.yaml']) as Any).ui).toEqual({ enabled: true });
    const d = await dep();
    expect(d.spec.template.metadata.annotations['berth.dev/config-hash']).toBe(reg.status!.configHash);
    // The Deployment has a new generation its (absent) controller has not observed: a rollout is pending.
    expect(condition(reg, 'Progressing')).toMatchObject({ status: 'True', reason: 'RollingOut', observedGeneration: 2 });
    expect(await eventReasons(client, ns, name)).toContain('ConfigChanged');
  });

  it('renders spec.ui.enabled: false into the config', async () => {
    const before = await client.get<Registry>(REGISTRY_API, 'Registry', name, ns);
    await patchRegistrySpec(client, ns, name, { ui: { enabled: false } });
    await waitForStatus(client, ns, name, 'new config hash', (r) => r.status!.configHash !== before.status!.configHash);
    const cm = await client.get<KubeObject & Any>('v1', 'ConfigMap', `${name}-config`, ns);
    expect((yaml.load(cm.data['config.yaml']) as Any).ui).toEqual({ enabled: false });
  });

  it('recreates an owned object that was deleted', async () => {
    const cm = await client.get<KubeObject>('v1', 'ConfigMap', `${name}-config`, ns);
    const svc = await client.get<KubeObject>('v1', 'Service', name, ns);
    await client.delete('v1', 'ConfigMap', cm.metadata.name, ns);
    await client.delete('v1', 'Service', svc.metadata.name, ns);
    const newCm = await waitForObject(client, 'v1', 'ConfigMap', cm.metadata.name, ns, (o) => o.metadata.uid !== cm.metadata.uid);
    await waitForObject(client, 'v1', 'Service', svc.metadata.name, ns, (o) => o.metadata.uid !== svc.metadata.uid);
    expect((newCm as Any).data['config.yaml']).toContain('level: debug');
  });

  it('reverts edits made to owned objects by someone else', async () => {
    await client.request('PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/${name}`, {
      body: { spec: { replicas: 4 } }, contentType: 'application/merge-patch+json', query: { fieldManager: 'kubectl-edit' },
    });
    await waitForObject(client, 'apps/v1', 'Deployment', name, ns, (d) => (d as Any).spec.replicas === 1);
  });

  it('prunes objects the spec no longer needs', async () => {
    await patchRegistrySpec(client, ns, name, { tls: { selfSigned: true } });
    const tls = await waitForObject<KubeObject & Any>(client, 'v1', 'Secret', `${name}-tls`, ns);
    expect(tls.type).toBe('kubernetes.io/tls');
    // The Secret and the Deployment are applied one after the other: wait for the second too.
    await waitForObject(client, 'apps/v1', 'Deployment', name, ns,
      (d) => (d as Any).spec.template.spec.containers[0].readinessProbe.httpGet.scheme === 'HTTPS');
    await client.request('PATCH', `/apis/berth.dev/v1alpha1/namespaces/${ns}/registries/${name}`, {
      body: [{ op: 'remove', path: '/spec/tls' }], contentType: 'application/json-patch+json',
    });
    await waitForGone(client, 'v1', 'Secret', `${name}-tls`, ns);
    await waitFor('Pruned event', async () => (await eventReasons(client, ns, name)).includes('Pruned'));
  });

  it('garbage-collects every child when the Registry is deleted', async () => {
    await client.delete(REGISTRY_API, 'Registry', name, ns);
    await waitForGone(client, REGISTRY_API, 'Registry', name, ns);
    for (const [apiVersion, kind, child] of [
      ['apps/v1', 'Deployment', name], ['v1', 'Service', name], ['v1', 'ConfigMap', `${name}-config`],
      ['v1', 'Secret', `${name}-signing-keys`], ['v1', 'PersistentVolumeClaim', `${name}-data`],
    ]) {
      await waitForGone(client, apiVersion, kind, child, ns, 90_000);
    }
  }, 180_000);
});
