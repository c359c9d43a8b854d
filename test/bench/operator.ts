// Operator scale benchmark (`npm run bench:operator`): one AccessPolicy selecting
// 1,000 namespaces on a real control plane (etcd, kube-apiserver and the
// kube-controller-manager, on loopback), with the operator running as its own
// process exactly as in a cluster. It measures
//   1. the time from applying the policy to a pull secret in all 1,000 namespaces
//      (and to the policy's status reporting them synced);
//   2. the time from creating one more matching namespace to its pull secret
//      appearing, for 100 namespaces created one after another (p50/p99).
// Arrival times come from a watch on the pull secrets, so polling intervals do not
// inflate them. Everything is bounded: fixed counts, and a deadline per phase.
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { mapLimit } from '#contract/util/limit.js';
import { API_VERSION, type AccessPolicy } from '../../operator/src/api/types.js';
import type { KubeClient } from '../../operator/src/kube/client.js';
import type { KubeObject } from '../../operator/src/kube/types.js';
import { Informer } from '../../operator/src/runtime/informer.js';
import { createLogger } from '../../operator/src/runtime/logger.js';
import { startControlPlane, type ControlPlane } from '../harness/control-plane/control-plane.js';
import { OperatorProcess } from '../harness/operator-process.js';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient as Client } from '../../operator/src/kube/client.js';

const NAMESPACES = Number(process.env.BENCH_NAMESPACES ?? 1000);
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 100);
// Creating 10,000 namespaces on two shared cores takes minutes: the deadline grows with the count, bounded.
const PHASE_DEADLINE_MS = Math.min(1_800_000, Math.max(300_000, NAMESPACES * 120));
const SAMPLE_DEADLINE_MS = 30_000;
const NS = 'bench-registry';
const LABEL = 'berth-bench/pull';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function startOperator(kubeconfig: string): OperatorProcess {
  const logLevel = process.env.BENCH_OPERATOR_LOG_LEVEL ?? 'warn';
  return new OperatorProcess({
    label: 'bench', echo: true,
    args: [`--kubeconfig=${kubeconfig}`, `--namespace=${NS}`, '--leader-elect=false', '--health-addr=127.0.0.1:0', `--log-level=${logLevel}`],
  });
}

/** Records when the first pull secret of each namespace is seen. */
class Arrivals {
  readonly seen = new Map<string, number>();
  private waiters = new Map<string, () => void>();
  readonly informer: Informer;

  constructor(client: KubeClient) {
    this.informer = new Informer(client, { apiVersion: 'v1', kind: 'Secret', labelSelector: 'berth.dev/access-policy-uid', resyncMs: 3600_000 }, (obj: KubeObject, deleted: boolean) => {
      const ns = obj.metadata.namespace!;
      if (deleted || this.seen.has(ns)) return;
      this.seen.set(ns, performance.now());
      this.waiters.get(ns)?.();
    }, createLogger('error'));
  }

  async waitFor(ns: string, timeoutMs: number): Promise<number> {
    if (!this.seen.has(ns)) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no pull secret in ${ns} after ${timeoutMs} ms`)), timeoutMs);
        this.waiters.set(ns, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.waiters.delete(ns);
    }
    return this.seen.get(ns)!;
  }
}

/** The operator's peak resident set (VmHWM), in MiB; undefined where /proc is not there. */
function peakRssMiB(pid: number): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

async function main(): Promise<void> {
  let plane: ControlPlane | undefined;
  let operator: OperatorProcess | undefined;
  try {
    process.stderr.write('starting the control plane…\n');
    plane = await startControlPlane({ name: `bench-operator-${process.pid}`, controllerManager: true, installCrds: true });
    const kc = new KubeConfig();
    kc.loadFromFile(plane.kubeconfig);
    const client: KubeClient = new Client(kc);

    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await client.create({ apiVersion: API_VERSION, kind: 'Registry', metadata: { name: 'main', namespace: NS }, spec: { storage: { filesystem: {} } } });

    process.stderr.write(`creating ${NAMESPACES} labelled namespaces…\n`);
    const names = Array.from({ length: NAMESPACES }, (_, i) => `app-${String(i).padStart(4, '0')}`);
    const createStart = performance.now();
    await mapLimit(names, 16, (name) => client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { [LABEL]: 'on' } } }));
    const createSeconds = (performance.now() - createStart) / 1000;
    // In a cluster the selected namespaces exist already: the controller manager has made each one's
    // default ServiceAccount (and root CA ConfigMap). At 10,000 it is still at it minutes after the
    // creates return, competing with the operator for the API server; BENCH_SETTLE=0 skips the wait.
    let settleSeconds: number | undefined;
    if (process.env.BENCH_SETTLE !== '0') {
      process.stderr.write('waiting for the controller manager to settle…\n');
      await waitUntil('every namespace\'s default ServiceAccount', async () => {
        const { items } = await client.list<KubeObject>('v1', 'ServiceAccount', {});
        return items.filter((sa) => sa.metadata.name === 'default' && sa.metadata.namespace!.startsWith('app-')).length >= NAMESPACES;
      }, PHASE_DEADLINE_MS, 5000);
      settleSeconds = Number(((performance.now() - createStart) / 1000 - createSeconds).toFixed(2));
    }

    const arrivals = new Arrivals(client);
    arrivals.informer.start();
    await waitUntil('secret watch', () => arrivals.informer.hasSynced(), 30_000);
    operator = startOperator(plane.kubeconfig);
    await waitUntil('the Registry config', async () => !!(await client.get('v1', 'ConfigMap', 'main-config', NS).catch(() => undefined)), 60_000, 100);

    // Phase 1: apply the policy; time until every namespace has its pull secret.
    process.stderr.write('applying the AccessPolicy…\n');
    const applyAt = performance.now();
    await client.create({
      apiVersion: API_VERSION, kind: 'AccessPolicy', metadata: { name: 'all-apps', namespace: NS },
      spec: { registryRef: { name: 'main' }, namespaces: { selector: { matchLabels: { [LABEL]: 'on' } } }, repositories: ['apps/**'], actions: ['pull'] },
    });
    await waitUntil(`${NAMESPACES} pull secrets`, () => names.every((n) => arrivals.seen.has(n)), PHASE_DEADLINE_MS);
    const allSecretsSeconds = (Math.max(...names.map((n) => arrivals.seen.get(n)!)) - applyAt) / 1000;
    await waitUntil('status synced', async () => {
      const p = await client.get<AccessPolicy>(API_VERSION, 'AccessPolicy', 'all-apps', NS);
      return p.status?.syncedNamespaceCount === NAMESPACES;
    }, PHASE_DEADLINE_MS, 50);
    const statusSeconds = (performance.now() - applyAt) / 1000;

    // Phase 2: namespaces created one at a time; latency to their pull secret.
    process.stderr.write(`creating ${LATENCY_SAMPLES} more namespaces one at a time…\n`);
    const latencies: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const name = `late-${String(i).padStart(3, '0')}`;
      const t0 = performance.now();
      await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { [LABEL]: 'on' } } });
      latencies.push((await arrivals.waitFor(name, SAMPLE_DEADLINE_MS)) - t0);
    }
    latencies.sort((a, b) => a - b);
    const operatorPeakRssMiB = peakRssMiB(operator.pid);
    const policySecrets = (await client.list<KubeObject & { data?: Record<string, string> }>('v1', 'Secret', { namespace: NS, labelSelector: 'app.kubernetes.io/name=berth-registry-policy' })).items;
    const main = policySecrets.find((s) => s.metadata.name === 'main-policy');
    const policyFileBytes = Buffer.from(main?.data?.['policy.yaml'] ?? '', 'base64').length;
    // What counts against the 1 MiB Secret limit: the stored (base64) data of every key, per Secret.
    const storedBytes = (s: { data?: Record<string, string> }) => Object.values(s.data ?? {}).reduce((n, v) => n + v.length, 0);
    const policySecretBytes = main ? storedBytes(main) : 0;
    const shardBytes = policySecrets.filter((s) => s !== main).map(storedBytes);

    const result = {
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      namespaces: NAMESPACES,
      namespaceCreateSeconds: Number(createSeconds.toFixed(2)),
      ...(settleSeconds !== undefined ? { controllerManagerSettleSeconds: settleSeconds } : {}),
      allPullSecretsSeconds: Number(allSecretsSeconds.toFixed(2)),
      statusSyncedSeconds: Number(statusSeconds.toFixed(2)),
      newNamespaceToSecretMs: {
        samples: latencies.length,
        p50: Math.round(percentile(latencies, 50)),
        p90: Math.round(percentile(latencies, 90)),
        p99: Math.round(percentile(latencies, 99)),
        max: Math.round(latencies[latencies.length - 1]),
      },
      operatorPeakRssMiB,
      policyFileBytes,
      policySecretBytes,
      ...(shardBytes.length ? { robotShards: shardBytes.length, largestShardSecretBytes: Math.max(...shardBytes), totalShardSecretBytes: shardBytes.reduce((a, b) => a + b, 0) } : {}),
      robots: NAMESPACES + LATENCY_SAMPLES,
      targets: { allPullSecretsSeconds: NAMESPACES > 1000 ? 60 : 20, p99Ms: 1000 },
    };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    await arrivals.informer.stop();
    client.close();
  } finally {
    await operator?.stop();
    await plane?.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench:operator failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
