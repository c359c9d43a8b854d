// `helm lint` and `helm template` of charts/berth with the default values and the
// example values files, and values the schema (or a template check) must refuse.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { KubeObject } from '../../operator/src/kube/types.js';
import { CHART_DIR, EXAMPLES_DIR, TEST_KUBE_VERSION, findObject, helm, helmOk, renderChart, valuesArgs, type ValuesFlags } from '../harness/helm-chart.js';
import { parseOptions } from '../../operator/src/options.js';
import { REPO_ROOT } from '../harness/registry-process.js';

const exampleValues = ['values-ha.yaml', 'values-single-namespace.yaml'].map((f) => join(EXAMPLES_DIR, 'helm', f));

interface Container {
  name: string;
  args: string[];
  image: string;
  securityContext: Record<string, unknown>;
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  ports: Array<{ name: string; containerPort: number }>;
}
type PodSpec = { securityContext: Record<string, unknown>; serviceAccountName: string; containers: Container[] };

const podSpec = (objects: KubeObject[]) =>
  (findObject(objects, 'Deployment', 'berth-operator').spec as { template: { spec: PodSpec } }).template.spec;
const operatorContainer = (objects: KubeObject[]) => podSpec(objects).containers[0];
const flag = (c: Container, name: string) => c.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

async function rejected(values: ValuesFlags): Promise<string> {
  const r = await helm(['template', 'berth', CHART_DIR, '--kube-version', TEST_KUBE_VERSION, ...valuesArgs(values)]);
  expect(r.code).not.toBe(0);
  return r.stderr;
}

describe('helm lint', () => {
  it('passes --strict with the default values', async () => {
    const out = await helmOk(['lint', '--strict', '--kube-version', TEST_KUBE_VERSION, CHART_DIR]);
    expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it.each(exampleValues)('passes --strict with %s', async (file) => {
    const out = await helmOk(['lint', '--strict', '--kube-version', TEST_KUBE_VERSION, CHART_DIR, '--values', file]);
    expect(out).toMatch(/0 chart\(s\) failed/);
  });
});

describe('helm template with the default values', () => {
  let objects: KubeObject[];
  beforeAll(async () => {
    objects = await renderChart();
  });

  it('renders the operator objects, and no optional ones', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/berth-operator',
      'ClusterRoleBinding/berth-operator',
      'Deployment/berth-operator',
      'Role/berth-operator-leader-election',
      'RoleBinding/berth-operator-leader-election',
      'Service/berth-operator-metrics',
      'ServiceAccount/berth-operator',
    ]);
    for (const o of objects) expect(o.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('Helm');
  });

  it('runs the operator non-root, with a read-only root filesystem and no capabilities', () => {
    const pod = podSpec(objects);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0].securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.serviceAccountName).toBe('berth-operator');
  });

  it('probes /healthz and /readyz, sets resources, and pins the image to the appVersion', () => {
    const c = operatorContainer(objects);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http-metrics' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http-metrics' });
    expect(c.resources.requests).toEqual({ cpu: '50m', memory: '96Mi' });
    expect(c.resources.limits).toEqual({ memory: '256Mi' });
    const appVersion = (yaml.load(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { appVersion: string }).appVersion;
    expect(c.image).toBe(`ghcr.io/berth-dev/berth-operator:v${appVersion}`);
    expect(c.ports).toEqual([{ name: 'http-metrics', containerPort: 8081, protocol: 'TCP' }]);
  });

  it('passes flags the operator accepts, with the Lease in the release namespace', () => {
    const c = operatorContainer(objects);
    expect(flag(c, 'leader-elect')).toBe('true');
    expect(flag(c, 'leader-election-namespace')).toBe('berth-system');
    expect(flag(c, 'health-addr')).toBe('0.0.0.0:8081');
    expect(flag(c, 'namespace')).toBeUndefined();
    // The operator's own parser accepts every flag (it is strict about unknown ones).
    const opts = parseOptions(c.args, { POD_NAMESPACE: 'berth-system' });
    expect(opts).toMatchObject({
      leaderElect: true, leaseNamespace: 'berth-system', leaseName: 'berth-operator', identity: '$(POD_NAME)',
      leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, healthHost: '0.0.0.0', healthPort: 8081,
      resyncMs: 600_000, workers: 2, backoffMaxMs: 300_000, policyPropagationMs: 120_000, logLevel: 'info', postgresImage: 'postgres:15',
    });
    expect(opts.namespace).toBeUndefined();
  });

  it('the metrics Service selects the operator pods', () => {
    const svc = findObject(objects, 'Service', 'berth-operator-metrics');
    const deploy = findObject(objects, 'Deployment', 'berth-operator') as KubeObject & { spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> } } } };
    expect((svc.spec as { selector: Record<string, string> }).selector).toEqual(deploy.spec.selector.matchLabels);
    expect(deploy.spec.template.metadata.labels).toMatchObject(deploy.spec.selector.matchLabels);
  });
});

describe('helm template with the example values', () => {
  it('values-ha.yaml: two replicas with leader election, ServiceMonitor and dashboard', async () => {
    const objects = await renderChart({ files: [exampleValues[0]] });
    expect((findObject(objects, 'Deployment').spec as { replicas: number }).replicas).toBe(2);
    expect(flag(operatorContainer(objects), 'leader-elect')).toBe('true');
    const sm = findObject(objects, 'ServiceMonitor', 'berth-operator');
    expect(sm.metadata.labels?.release).toBe('prometheus');
    expect((sm.spec as { endpoints: Array<{ port: string; interval: string }> }).endpoints[0]).toMatchObject({ port: 'http-metrics', path: '/metrics', interval: '15s' });
    const dashboard = findObject(objects, 'ConfigMap', 'berth-operator-dashboard');
    expect(dashboard.metadata.labels?.grafana_dashboard).toBe('1');
    expect(JSON.parse((dashboard.data as Record<string, string>)['berth-operator.json']).uid).toBe('berth-overview');
  });

  it('values-single-namespace.yaml: watches one namespace', async () => {
    const objects = await renderChart({ files: [exampleValues[1]] });
    const c = operatorContainer(objects);
    expect(parseOptions(c.args, {})).toMatchObject({ namespace: 'registry', logLevel: 'debug', workers: 1 });
  });

  it('forces leader election on with several replicas, and allows it off with one', async () => {
    expect(flag(operatorContainer(await renderChart({ set: { replicaCount: 3 } })), 'leader-elect')).toBe('true');
    const single = await renderChart({ set: { 'leaderElection.enabled': false } });
    expect(flag(operatorContainer(single), 'leader-elect')).toBe('false');
  });

  it('pins the image by digest when one is set', async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const c = operatorContainer(await renderChart({ set: { 'image.digest': digest } }));
    expect(c.image).toBe(`ghcr.io/berth-dev/berth-operator@${digest}`);
  });
});

describe('the Grafana dashboard', () => {
  it('queries only metrics that the operator or the registry export', () => {
    const dashboard = JSON.parse(readFileSync(join(CHART_DIR, 'files', 'grafana-dashboard.json'), 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
    const sources = ['operator/src/runtime/metrics.ts', 'registry/src/metrics/metrics.ts'].map((p) => readFileSync(join(REPO_ROOT, p), 'utf8')).join('\n');
    const exported = new Set([...sources.matchAll(/name: '(berth_[a-z_]+)'/g)].map((m) => m[1]));
    const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\b(berth_[a-z_]+)/g)].map((m) => m[1].replace(/_(bucket|sum|count)$/, ''))));
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((m) => !exported.has(m))).toEqual([]);
  });
});

describe('values the chart refuses', () => {
  it.each<[string, ValuesFlags, RegExp]>([
    ['an unknown key', { set: { replicaCount: 1, replicas: 2 } }, /additional properties 'replicas' not allowed/],
    ['a wrong type', { set: { replicaCount: 'two' } }, /replicaCount/],
    ['several replicas without leader election', { set: { replicaCount: 2, 'leaderElection.enabled': false } }, /leaderElection\/enabled/],
    ['an unknown pull policy', { set: { 'image.pullPolicy': 'Sometimes' } }, /pullPolicy/],
    ['a malformed digest', { set: { 'image.digest': 'sha256:abc' } }, /digest/],
    ['an unknown log level', { set: { 'operator.logLevel': 'verbose' } }, /logLevel/],
    ['zero workers', { set: { 'operator.workers': 0 } }, /workers/],
    ['an empty managed PostgreSQL image', { set: { 'managedPostgres.image': '' } }, /managedPostgres/],
    ['a negative policy propagation delay', { set: { 'operator.policyPropagationDelaySeconds': -1 } }, /policyPropagationDelaySeconds/],
    ['a namespace name that is not a DNS label', { set: { watchNamespace: 'Team_A' } }, /watchNamespace/],
    ['a malformed CPU quantity', { set: { 'resources.requests.cpu': 'lots' } }, /cpu/],
    ['a ServiceMonitor without the metrics Service', { set: { 'metrics.serviceMonitor.enabled': true, 'metrics.service.enabled': false } }, /metrics\/service\/enabled/],
    ['an existing ServiceAccount without a name', { set: { 'serviceAccount.create': false } }, /serviceAccount/],
    ['an extra arg that is not a flag', { set: { 'operator.extraArgs[0]': 'workers=4' } }, /extraArgs/],
    ['a renew deadline not shorter than the lease', { set: { 'leaderElection.renewDeadlineSeconds': 15 } }, /leaseDurationSeconds must be greater than renewDeadlineSeconds/],
    ['a retry period not shorter than the renew deadline', { set: { 'leaderElection.retryPeriodSeconds': 10 } }, /renewDeadlineSeconds must be greater than retryPeriodSeconds/],
  ])('%s', async (_what, values, message) => {
    expect(await rejected(values)).toMatch(message);
  });

  it('refuses a cluster older than the chart supports', async () => {
    const r = await helm(['template', 'berth', CHART_DIR, '--kube-version', '1.28.0']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/chart requires kubeVersion: >=1\.29\.0-0 which is incompatible with Kubernetes v1\.28\.0/);
  });
});
