// Two operator processes share one Lease: exactly one reconciles; when it dies
// the other takes over within the lease duration, and a graceful shutdown hands
// over at once.
import type { KubeClient } from '../../operator/src/kube/client.js';
import type { KubeObject } from '../../operator/src/kube/types.js';
import type { OperatorProcess } from '../harness/operator-process.js';
import { waitFor } from './support/kube.js';
import { sample, total } from './support/metrics.js';
import { withOperator } from './support/operator.js';
import { createRegistry, waitForStatus } from './support/registry.js';

interface Lease extends KubeObject {
  spec: { holderIdentity?: string; leaseDurationSeconds: number; leaseTransitions: number };
}

const LEASE_SECONDS = 4;
const timing = [`--lease-duration=${LEASE_SECONDS}`, '--renew-deadline=3', '--retry-period=0.5'];

const fx = withOperator('leader', { stopSignal: 'SIGKILL' });
let client: KubeClient;
let ns: string;
beforeAll(() => ({ client, ns } = fx));

const start = (identity: string) => fx.start(identity, { args: timing });
const lease = () => client.get<Lease>('coordination.k8s.io/v1', 'Lease', 'berth-operator', ns);

describe('leader election', () => {
  let leader: OperatorProcess;
  let standby: OperatorProcess;

  it('elects exactly one leader, and only the leader reconciles', async () => {
    const a = start('op-a');
    const b = start('op-b');
    const holder = await waitFor('a lease holder', async () => (await lease()).spec.holderIdentity);
    [leader, standby] = holder === 'op-a' ? [a, b] : [b, a];
    await leader.waitForLog((l) => l.msg === 'controller started');
    await createRegistry(client, ns, 'one', { storage: { filesystem: {} } });
    await waitForStatus(client, ns, 'one', 'reconciled', (r) => !!r.status?.configHash);

    // Give the standby several retry periods to (wrongly) grab the lease.
    await new Promise((r) => setTimeout(r, 2000));
    expect(standby.isLeader()).toBe(false);
    expect((await lease()).spec.holderIdentity).toBe(leader.opts.label);
    const leaderMetrics = (await leader.get('/metrics')).body;
    const standbyMetrics = (await standby.get('/metrics')).body;
    expect(sample(leaderMetrics, 'berth_operator_leader')).toBe(1);
    expect(sample(standbyMetrics, 'berth_operator_leader')).toBe(0);
    // Registries with auth reconcile with a requeue (for the next key rotation).
    expect(total(leaderMetrics, 'berth_operator_reconcile_total', { controller: 'registry' })).toBeGreaterThan(0);
    expect(total(standbyMetrics, 'berth_operator_reconcile_total', { controller: 'registry' })).toBe(0);
    expect(sample(leaderMetrics, 'berth_operator_reconcile_duration_seconds_count', { controller: 'registry' })).toBeGreaterThan(0);
    expect(sample(leaderMetrics, 'berth_operator_workqueue_depth', { controller: 'registry' })).toBe(0);
  });

  it('serves /healthz and /readyz on both processes', async () => {
    for (const op of [leader, standby]) {
      expect(await op.get('/healthz')).toEqual({ status: 200, body: 'ok\n' });
      expect((await op.get('/readyz')).status).toBe(200);
      expect((await op.get('/nope')).status).toBe(404);
    }
  });

  it('fails over within the lease duration when the leader is killed', async () => {
    const transitions = (await lease()).spec.leaseTransitions;
    await leader.kill('SIGKILL');
    const killedAt = Date.now();
    await standby.waitForLog((l) => l.msg === 'became leader', (LEASE_SECONDS + 3) * 1000);
    const takeoverMs = Date.now() - killedAt;
    // The standby last saw a renewal at most one retry period before the kill.
    // At most the lease duration plus one retry period; allow slack for a loaded 2-core machine.
    expect(takeoverMs).toBeLessThan((LEASE_SECONDS + 3) * 1000);
    const l = await lease();
    expect(l.spec.holderIdentity).toBe(standby.opts.label);
    expect(l.spec.leaseTransitions).toBe(transitions + 1);
    await createRegistry(client, ns, 'two', { storage: { filesystem: {} } });
    await waitForStatus(client, ns, 'two', 'reconciled by the new leader', (r) => !!r.status?.configHash);
    [leader, standby] = [standby, start('op-c')];
  });

  it('hands over at once on a graceful shutdown (the lease is released)', async () => {
    await standby.waitForLog((l) => l.msg === 'health server listening');
    await new Promise((r) => setTimeout(r, 1000)); // op-c is now polling the lease
    const stoppedAt = Date.now();
    expect(await leader.kill('SIGTERM')).toBe(0);
    expect(leader.lines.some((l) => l.msg === 'released leader lease')).toBe(true);
    await standby.waitForLog((l) => l.msg === 'became leader', LEASE_SECONDS * 1000);
    expect(Date.now() - stoppedAt).toBeLessThan(LEASE_SECONDS * 1000);
  });
});
