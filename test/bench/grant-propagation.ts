// ServiceAccount-token grants, change → effective in the registry
// (`npm run bench:grants`): a private control plane, the operator as its own
// process, and a registry process started from the config the operator rendered
// for a Registry trusting the cluster's issuer (verify: both), its policy file
// following the policy Secret through a watch (test/harness/rendered-registry.ts).
// For each sample it polls the registry every 10 ms with the ServiceAccount's token
// (a manifest GET, Bearer) and records when the answer flips:
//   1. a new ServiceAccount in a namespace an AccessPolicy selects with "*" → 200;
//   2. an AccessPolicy spec change naming one more ServiceAccount → 200, and
//      naming it no more → 403.
// Each latency is split at the moment the policy file changed on disk: the
// operator's part (watch event → pass → policy Secret → file) and the registry's
// reload. Not included: the kubelet's own delay in refreshing a Secret volume in a
// real pod (up to its sync period; see docs/identity.md). Fixed counts, a
// deadline per sample.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { API_VERSION } from '../../operator/src/api/types.js';
import { KubeClient } from '../../operator/src/kube/client.js';
import type { KubeObject, SecretObject } from '../../operator/src/kube/types.js';
import { startControlPlane, type ControlPlane } from '../harness/control-plane/control-plane.js';
import { tarOf } from '../harness/oci-layout.js';
import { OperatorProcess } from '../harness/operator-process.js';
import { startRenderedRegistry, type RenderedRegistry } from '../harness/rendered-registry.js';
import { runOk } from '../harness/tools.js';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 30);
const SAMPLE_DEADLINE_MS = 30_000;
const POLL_MS = 10;
const NS = 'bench-registry';
const TARGET_MS = 5000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  return { samples: s.length, p50: Math.round(percentile(s, 50)), p90: Math.round(percentile(s, 90)), p99: Math.round(percentile(s, 99)), max: Math.round(s[s.length - 1]) };
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

interface Sample { totalMs: number; operatorMs: number; reloadMs: number }

class Bench {
  constructor(private readonly client: KubeClient, private readonly registry: RenderedRegistry, private readonly audience: string) {}

  async token(namespace: string, serviceAccount: string): Promise<string> {
    const tr = await this.client.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [this.audience], expirationSeconds: 3600 } },
    });
    return tr.status.token;
  }

  async status(token: string): Promise<number> {
    const res = await fetch(`${this.registry.process.url}/v2/apps/app/manifests/v1`, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    await res.arrayBuffer();
    return res.status;
  }

  /** Runs `change` at t0, then polls until the registry answers `want`; splits the time where the policy file changed. */
  async measure(token: () => Promise<string>, change: () => Promise<void>, want: number): Promise<Sample> {
    const t0 = performance.now();
    const [, bearer] = await Promise.all([change(), token()]);
    const deadline = t0 + SAMPLE_DEADLINE_MS;
    for (;;) {
      const answer = await this.status(bearer);
      // The answer is observed when it arrives: a sample is at most one poll (10 ms + a request) late.
      const at = performance.now();
      if (answer === want) {
        const written = this.registry.lastPolicyWrite();
        if (written < t0) throw new Error('the registry changed its answer before the policy file did');
        return { totalMs: at - t0, operatorMs: written - t0, reloadMs: at - written };
      }
      if (at > deadline) throw new Error(`no ${want} within ${SAMPLE_DEADLINE_MS} ms (last answer ${answer})`);
      await sleep(POLL_MS);
    }
  }
}

function report(samples: Sample[]) {
  return { total: summary(samples.map((s) => s.totalMs)), operator: summary(samples.map((s) => s.operatorMs)), registryReload: summary(samples.map((s) => s.reloadMs)) };
}

async function main(): Promise<void> {
  let plane: ControlPlane | undefined;
  let operator: OperatorProcess | undefined;
  let registry: RenderedRegistry | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-grants-'));
  try {
    process.stderr.write('starting the control plane…\n');
    plane = await startControlPlane({ name: `bench-grants-${process.pid}`, controllerManager: true, installCrds: true });
    const kc = new KubeConfig();
    kc.loadFromFile(plane.kubeconfig);
    const client = new KubeClient(kc);
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await client.create({ apiVersion: API_VERSION, kind: 'Registry', metadata: { name: 'main', namespace: NS }, spec: { storage: { filesystem: {} }, auth: { federation: { cluster: {} } } } });
    operator = new OperatorProcess({
      label: 'bench', echo: true,
      args: [`--kubeconfig=${plane.kubeconfig}`, `--namespace=${NS}`, '--leader-elect=false', '--health-addr=127.0.0.1:0', `--log-level=${process.env.BENCH_OPERATOR_LOG_LEVEL ?? 'warn'}`],
    });
    await until('the rendered Registry', async () => {
      const d = await client.get<KubeObject & { spec: { template: { spec: { serviceAccountName?: string } } } }>('apps/v1', 'Deployment', 'main', NS);
      const binding = await client.getOptional('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', `berth:${NS}:main:token-review`);
      return d.spec.template.spec.serviceAccountName === 'main' && binding ? true : undefined;
    });
    registry = await startRenderedRegistry({ client, namespace: NS, name: 'main', dir, apiServer: plane.server.replace(/\/+$/, ''), caFile: plane.certs.caCert });
    const bench = new Bench(client, registry, registry.audience!);

    const admin = await client.get<SecretObject>('v1', 'Secret', 'main-admin', NS);
    const env = { HOME: dir, DOCKER_CONFIG: join(dir, 'docker') };
    await runOk('crane', ['auth', 'login', registry.process.host, '-u', b64(admin.data!.username), '-p', b64(admin.data!.password)], { env });
    const layer = join(dir, 'layer.tar');
    writeFileSync(layer, tarOf('hello.txt', Buffer.from('bench\n')));
    await runOk('crane', ['append', '-f', layer, '-t', `${registry.process.host}/apps/app:v1`], { env });

    // 1. New ServiceAccounts in a namespace a "*" policy selects.
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps-all' } });
    await client.create({
      apiVersion: API_VERSION, kind: 'AccessPolicy', metadata: { name: 'all', namespace: NS },
      spec: { registryRef: { name: 'main' }, namespaces: { names: ['apps-all'] }, credentials: ['serviceAccountToken'], serviceAccounts: ['*'], repositories: ['apps/**'], actions: ['pull'] },
    });
    await until('the first grant', async () => ((await bench.status(await bench.token('apps-all', 'default'))) === 200 ? true : undefined), 60_000, 200);
    process.stderr.write(`${SAMPLES} new ServiceAccounts…\n`);
    const created: Sample[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const name = `sa-${i}`;
      created.push(await bench.measure(
        () => until('the ServiceAccount', async () => bench.token('apps-all', name), 10_000, 10),
        async () => { await client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'apps-all' } }); },
        200,
      ));
    }

    // 2. A policy naming ServiceAccounts: one more named, then named no more.
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps-named' } });
    for (let i = 0; i < SAMPLES; i++) await client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: `n-${i}`, namespace: 'apps-named' } });
    await client.create({
      apiVersion: API_VERSION, kind: 'AccessPolicy', metadata: { name: 'named', namespace: NS },
      spec: { registryRef: { name: 'main' }, namespaces: { names: ['apps-named'] }, credentials: ['serviceAccountToken'], serviceAccounts: ['default'], repositories: ['apps/**'], actions: ['pull'] },
    });
    await until('the named grant', async () => ((await bench.status(await bench.token('apps-named', 'default'))) === 200 ? true : undefined), 60_000, 200);
    const patch = (serviceAccounts: string[]) => async () => {
      await client.request('PATCH', `/apis/${API_VERSION}/namespaces/${NS}/accesspolicies/named`, { body: { spec: { serviceAccounts } }, contentType: 'application/merge-patch+json' });
    };
    process.stderr.write(`${SAMPLES} spec changes, granted and withdrawn…\n`);
    const granted: Sample[] = [];
    const withdrawn: Sample[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const name = `n-${i}`;
      const token = await bench.token('apps-named', name);
      granted.push(await bench.measure(async () => token, patch(['default', name]), 200));
      withdrawn.push(await bench.measure(async () => token, patch(['default']), 403));
    }

    const result = {
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadavg1: Number(loadavg()[0].toFixed(1)) },
      pollMs: POLL_MS,
      newServiceAccountGranted: report(created),
      specChangeGranted: report(granted),
      specChangeWithdrawn: report(withdrawn),
      targetMs: TARGET_MS,
      withinTarget: [...created, ...granted, ...withdrawn].every((s) => s.totalMs <= TARGET_MS),
    };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    client.close();
  } finally {
    await registry?.stop();
    await operator?.stop();
    await plane?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench:grants failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
