// Failures of the API server itself, on a private control plane so the shared one
// is never disturbed: injected 409 Conflicts, and a full kube-apiserver restart.
import type { KubeClient } from '../../operator/src/kube/client.js';
import type { KubeObject } from '../../operator/src/kube/types.js';
import { startControlPlane, type ControlPlane } from '../harness/control-plane/control-plane.js';
import { FaultProxy } from '../harness/control-plane/fault-proxy.js';
import { clientFor, createNamespace, waitFor } from './support/kube.js';
import { total } from './support/metrics.js';
import type { OperatorProcess } from '../harness/operator-process.js';
import { controllerStarted, startOperator } from './support/operator.js';
import { condition, createRegistry, patchRegistrySpec, waitForObject, waitForStatus } from './support/registry.js';

type Any = Record<string, any>;

const LEASE_ARGS = ['--lease-duration=30', '--renew-deadline=20', '--retry-period=2', '--backoff-max=2'];

let plane: ControlPlane;
let client: KubeClient;
let proxy: FaultProxy;
let ns: string;
let operator: OperatorProcess;

beforeAll(async () => {
  plane = await startControlPlane({ name: `faults-${process.pid}`, installCrds: true });
  client = clientFor(plane.kubeconfig);
  proxy = await FaultProxy.start(plane);
  ns = await createNamespace(client, 'faults');
  operator = startOperator({
    kubeconfig: proxy.kubeconfig, namespace: ns, identity: 'faults-op',
    // A 20 s renew deadline: an apiserver crash and restart, slow on a loaded machine, must not cost the leadership.
    args: LEASE_ARGS,
  });
  await operator.waitForLog(controllerStarted);
}, 120_000);

afterAll(async () => {
  await operator?.kill('SIGKILL');
  client?.close();
  await proxy?.close();
  await plane?.stop();
});

describe('API server faults', () => {
  it('retries with backoff after 409 Conflict on the status write and converges', async () => {
    proxy.failNext('PATCH', new RegExp(`/namespaces/${ns}/registries/conflicted/status$`), 3);
    await createRegistry(client, ns, 'conflicted', { storage: { filesystem: {} } });
    await waitForStatus(client, ns, 'conflicted', 'reconciled', (r) => !!r.status?.configHash);
    expect(proxy.injected).toHaveLength(3);
    const metrics = (await operator.get('/metrics')).body;
    expect(total(metrics, 'berth_operator_reconcile_errors_total', { controller: 'registry' })).toBeGreaterThanOrEqual(3);
    expect(total(metrics, 'berth_operator_workqueue_retries_total', { controller: 'registry' })).toBeGreaterThanOrEqual(3);
  });

  it('recovers from 500s on server-side apply of children', async () => {
    proxy.failNext('PATCH', new RegExp(`/namespaces/${ns}/deployments/flaky$`), 2, 500, 'InternalError');
    await createRegistry(client, ns, 'flaky', { storage: { filesystem: {} } });
    await waitForObject(client, 'apps/v1', 'Deployment', 'flaky', ns);
    await waitForStatus(client, ns, 'flaky', 'reconciled', (r) => !!r.status?.configHash);
    expect(proxy.injected.filter((i) => i.includes('/deployments/flaky'))).toHaveLength(2);
  });

  it('relists when a re-opened watch answers 410 Gone, and keeps acting on changes', async () => {
    proxy.failNextWatch(new RegExp(`/namespaces/${ns}/registries$`), 1);
    const relists = async () => total((await operator.get('/metrics')).body, 'berth_operator_informer_relists_total', { kind: 'Registry', cause: 'gone' });
    expect(await relists()).toBe(0);
    // Server-side watch timeouts end every stream; the informer re-watches from its last resourceVersion.
    expect(proxy.endWatches()).toBeGreaterThan(0);
    await waitFor('a relist after 410', async () => (await relists()) === 1);
    expect(proxy.injected).toContain(`GET /apis/berth.dev/v1alpha1/namespaces/${ns}/registries (watch)`);
    await patchRegistrySpec(client, ns, 'flaky', { logLevel: 'debug' });
    await waitForObject<KubeObject & Any>(client, 'v1', 'ConfigMap', 'flaky-config', ns, (cm) => cm.data['config.yaml'].includes('level: debug'));
  });

  it('keeps working across a kube-apiserver crash and restart', async () => {
    const before = await client.get<KubeObject & Any>('v1', 'ConfigMap', 'conflicted-config', ns);
    const downAt = Date.now();
    await plane.stopApiServer('SIGKILL');
    await plane.startApiServer();
    const outageMs = Date.now() - downAt;
    // Watches were cut: a change after the restart must still be seen and acted on.
    await patchRegistrySpec(client, ns, 'conflicted', { logLevel: 'warn' });
    await waitForObject<KubeObject & Any>(client, 'v1', 'ConfigMap', 'conflicted-config', ns, (cm) => cm.data['config.yaml'].includes('level: warn'), 60_000);
    await client.delete('v1', 'Service', 'conflicted', ns);
    await waitForObject(client, 'v1', 'Service', 'conflicted', ns, () => true, 60_000);
    const reg = await waitForStatus(client, ns, 'conflicted', 'observed generation 2', (r) => condition(r, 'Ready')?.observedGeneration === 2, 60_000);
    expect(reg.status!.configHash).not.toBe(undefined);
    expect(before.metadata.uid).toBeDefined();
    expect(operator.running).toBe(true);
    expect(operator.lines.some((l) => l.msg === 'lost leadership; exiting')).toBe(false);
    await waitFor('informers relisted after the restart', async () =>
      total((await operator.get('/metrics')).body, 'berth_operator_informer_relists_total', { cause: 'error' }) > 0);
    expect(outageMs).toBeLessThan(20_000);
  }, 120_000);

  it('exits when an outage outlasts the renew deadline, and a restarted operator converges', async () => {
    await plane.stopApiServer('SIGKILL');
    // The apiserver stays down until the leader gives up (after the 20 s renew deadline).
    expect(await operator.exited).toBe(1);
    expect(operator.lines.some((l) => l.msg === 'lost leadership; exiting')).toBe(true);
    await plane.startApiServer();
    await patchRegistrySpec(client, ns, 'flaky', { logLevel: 'error' });
    // Restarted in the same pod, the container keeps its identity (the pod name), so it
    // takes its own lease back at once instead of waiting for it to expire.
    operator = startOperator({ kubeconfig: proxy.kubeconfig, namespace: ns, identity: 'faults-op', args: LEASE_ARGS });
    await operator.waitForLog((l) => l.msg === 'became leader');
    await waitForObject<KubeObject & Any>(client, 'v1', 'ConfigMap', 'flaky-config', ns, (cm) => cm.data['config.yaml'].includes('level: error'));
  }, 120_000);
});
