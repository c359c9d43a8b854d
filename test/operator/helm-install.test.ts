// The install experience, end to end, on the real test control plane:
// helm install → the operator (run with the Deployment's own command line, as the
// chart's ServiceAccount, through a recording proxy) → every example applied and
// reconciled, AccessPolicy credentials synced into the team's namespaces → a
// registry process started from the filesystem example's rendered ConfigMap and
// Secrets → crane pushes with the CI push secret, skopeo pulls with the pull
// secret of a workload namespace → both /metrics report it → the chart's RBAC is
// exactly what the operator used → helm upgrade → helm uninstall leaves no
// operator object (the CRDs stay, as Helm intends).
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import yaml from 'js-yaml';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeClient } from '../../operator/src/kube/client.js';
import type { KubeObject } from '../../operator/src/kube/types.js';
import type { RegistryConfig } from '#contract/config/schema.js';
import { tarOf } from '../harness/oci-layout.js';
import { mountedRevision, policySecrets, robotNames } from '../harness/policy-volume.js';
import { CHART_DIR, EXAMPLES_DIR, helm, helmOk, permissions, type PolicyRule } from '../harness/helm-chart.js';
import type { OperatorProcess } from '../harness/operator-process.js';
import { freePort, startRegistryProcess, type RegistryProcess } from '../harness/registry-process.js';
import { sharedKubeconfig } from '../harness/control-plane/shared-plane.js';
import { run, runOk } from '../harness/tools.js';
import { clientFor, createNamespace, serviceAccountKubeconfig, uniqueName, waitFor } from './support/kube.js';
import { total, sample } from './support/metrics.js';
import { condition, patchRegistrySpec, REGISTRY_API, waitForGone, waitForObject, waitForStatus } from './support/registry.js';
import { startDeploymentOperator } from './helm/deployment-operator.js';
import { PodSandbox, type PodTemplateSpec } from './helm/pod-sandbox.js';
import { RecordingProxy } from './helm/recording-proxy.js';

const RELEASE = 'berth-e2e';
const OPERATOR = `${RELEASE}-operator`;
const INSTANCE = `app.kubernetes.io/instance=${RELEASE}`;

let kubeconfig: string;
let client: KubeClient;
let releaseNs: string;
let appNs: string;
let dir: string;
let proxy: RecordingProxy;
let operator: OperatorProcess | undefined;
let registry: RegistryProcess | undefined;
let operatorKubeconfig: string;
let podEnv: Record<string, string>;

const examples = (file: string) => (yaml.loadAll(readFileSync(join(EXAMPLES_DIR, file), 'utf8')) as KubeObject[]).filter(Boolean);
const helmIn = (args: string[]) => helmOk([...args, '--namespace', releaseNs], { kubeconfig });

async function startOperatorFromDeployment(): Promise<OperatorProcess> {
  const deployment = await client.get('apps/v1', 'Deployment', OPERATOR, releaseNs);
  const op = startDeploymentOperator(deployment, podEnv, operatorKubeconfig);
  await op.waitForLog((l) => l.msg === 'controller started');
  return op;
}

beforeAll(async () => {
  kubeconfig = sharedKubeconfig();
  client = clientFor(kubeconfig);
  releaseNs = uniqueName('berth-system');
  appNs = await createNamespace(client, 'registry');
  dir = mkdtempSync(join(tmpdir(), 'berth-helm-e2e-'));
  const admin = new KubeConfig();
  admin.loadFromFile(kubeconfig);
  const cluster = admin.getCurrentCluster()!;
  proxy = await RecordingProxy.start(cluster.server, Buffer.from(cluster.caData!, 'base64'));
  podEnv = { POD_NAMESPACE: releaseNs, POD_NAME: `${OPERATOR}-5d8c7b9f4-x2k7q` };
});

afterAll(async () => {
  await operator?.stop();
  await registry?.stop();
  await proxy?.close();
  client?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('helm install → examples → push and pull → upgrade → uninstall', () => {
  it('refuses values that violate the schema, creating nothing', async () => {
    const r = await helm(['install', RELEASE, CHART_DIR, '--namespace', releaseNs, '--create-namespace', '--set', 'replicaCount=2', '--set', 'leaderElection.enabled=false'], { kubeconfig });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/values don't meet the specifications of the schema/);
    expect(JSON.parse(await helmOk(['list', '--all-namespaces', '--all', '--output', 'json'], { kubeconfig })).map((x: { name: string }) => x.name)).not.toContain(RELEASE);
  });

  it('installs the chart and tells the user what to apply next', async () => {
    // The operator watches only this test's namespace: other test files run operators of their own.
    // A short propagation delay: the registry here reads its policy file at once (no kubelet in between).
    const out = await helmIn(['install', RELEASE, CHART_DIR, '--create-namespace', '--set', `watchNamespace=${appNs}`, '--set', 'operator.policyPropagationDelaySeconds=2']);
    expect(out).toMatch(/STATUS: deployed/);
    expect(out).toMatch(/kubectl apply -n registry -f -/);
    expect(out).toMatch(/kind: Registry/);
    const deployment = await client.get<KubeObject & { spec: { template: PodTemplateSpec & { spec: { serviceAccountName: string } } } }>('apps/v1', 'Deployment', OPERATOR, releaseNs);
    expect(deployment.spec.template.spec.serviceAccountName).toBe(OPERATOR);
    for (const [apiVersion, kind, name, ns] of [
      ['v1', 'ServiceAccount', OPERATOR, releaseNs], ['v1', 'Service', `${OPERATOR}-metrics`, releaseNs],
      ['rbac.authorization.k8s.io/v1', 'ClusterRole', OPERATOR, undefined], ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', OPERATOR, undefined],
      ['rbac.authorization.k8s.io/v1', 'Role', `${OPERATOR}-leader-election`, releaseNs], ['rbac.authorization.k8s.io/v1', 'RoleBinding', `${OPERATOR}-leader-election`, releaseNs],
    ] as const) {
      const o = await client.get(apiVersion, kind, name, ns);
      expect(o.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('Helm');
    }
  });

  it('runs the operator as the chart\'s ServiceAccount, with the Deployment\'s command line', async () => {
    // client-node only speaks plain http (to the recording proxy) with TLS verification explicitly off.
    operatorKubeconfig = await serviceAccountKubeconfig(client, releaseNs, OPERATOR, join(dir, 'operator.kubeconfig'), { server: proxy.url });
    operator = await startOperatorFromDeployment();
    expect(operator.opts.args).toContain(`--leader-election-namespace=${releaseNs}`);
    expect(operator.opts.args).toContain(`--identity=${podEnv.POD_NAME}`);
    const lease = await client.get<KubeObject & { spec: { holderIdentity: string } }>('coordination.k8s.io/v1', 'Lease', 'berth-operator', releaseNs);
    expect(lease.spec.holderIdentity).toBe(podEnv.POD_NAME);
  });

  it('applies every example, and the operator reconciles each Registry', async () => {
    // The team's namespaces, as examples/access-policy-team.yaml selects them: team-a-ci by name, the rest by label.
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a-ci' } });
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: webNs, labels: { team: 'team-a' } } });
    // The ServiceAccount examples/access-policy-workload-identity.yaml grants its own tokens.
    await client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', namespace: webNs } });
    // examples/registry-external-s3.yaml tells the user to create this Secret first.
    await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'registry-s3', namespace: appNs }, stringData: { accessKey: 'AKIAEXAMPLE', secretKey: 'example-secret' } });
    // examples/registry-cnpg.yaml reads the Secrets a CloudNativePG cluster named berth-db creates, with their keys.
    await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'berth-db-app', namespace: appNs }, stringData: { uri: `postgresql://app:pw@berth-db-rw.${appNs}:5432/app`, username: 'app', password: 'pw', dbname: 'app' } });
    await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'berth-db-ca', namespace: appNs }, stringData: { 'ca.crt': 'certificate', 'ca.key': 'private key' } });
    for (const file of ['registry-filesystem.yaml', 'registry-ha-minio.yaml', 'registry-external-s3.yaml', 'registry-cnpg.yaml', 'registry-workload-identity.yaml', 'access-policy-team.yaml', 'access-policy-workload-identity.yaml', 'repository-retention.yaml', 'repository-ci-cache.yaml']) {
      for (const obj of examples(file)) await client.create({ ...obj, metadata: { ...obj.metadata, namespace: appNs } });
    }
    const main = await waitForStatus(client, appNs, 'main', 'reconciled', (r) => !!r.status?.configHash && !!r.status.signingKeyID);
    expect(main.status!.endpoint).toBe(`main.${appNs}.svc:5000`);
    expect(condition(main, 'StorageReady')?.reason).toBe('VolumeClaimPending'); // no storage provisioner in the test bed
    await waitForObject(client, 'v1', 'PersistentVolumeClaim', 'main-data', appNs, (p) => (p.spec as { resources: { requests: { storage: string } } }).resources.requests.storage === '20Gi');

    await waitForStatus(client, appNs, 'ha', 'reconciled', (r) => !!r.status?.configHash);
    await waitForObject(client, 'apps/v1', 'StatefulSet', 'ha-minio', appNs);
    await waitForObject(client, 'v1', 'Secret', 'ha-tls', appNs);
    await waitForObject(client, 'policy/v1', 'PodDisruptionBudget', 'ha', appNs);
    await waitForObject(client, 'apps/v1', 'Deployment', 'ha', appNs, (d) => (d.spec as { replicas: number }).replicas === 3);
    // Three replicas share the managed PostgreSQL.
    await waitForObject(client, 'apps/v1', 'StatefulSet', 'ha-postgres', appNs);
    await waitForObject(client, 'v1', 'PersistentVolumeClaim', 'ha-postgres-data', appNs);

    const s3 = await waitForStatus(client, appNs, 's3', 'credentials found', (r) => condition(r, 'StorageReady')?.reason === 'CredentialsFound');
    expect(s3.spec.replicas).toBe(2);
    const s3Config = yaml.load((await client.get<KubeObject & { data: Record<string, string> }>('v1', 'ConfigMap', 's3-config', appNs)).data['config.yaml']) as RegistryConfig;
    expect(s3Config.storage.s3).toMatchObject({ endpoint: 'https://s3.eu-west-1.amazonaws.com', bucket: 'example-berth-registry', prefix: 'cluster-a/', pathStyle: false, redirect: { enabled: true } });

    const cnpg = await waitForStatus(client, appNs, 'cnpg', 'metadata Secrets found', (r) => condition(r, 'MetadataReady')?.reason === 'CredentialsFound');
    expect(cnpg.spec.replicas).toBe(3);
    const cnpgConfig = yaml.load((await client.get<KubeObject & { data: Record<string, string> }>('v1', 'ConfigMap', 'cnpg-config', appNs)).data['config.yaml']) as RegistryConfig;
    expect(cnpgConfig.metadata).toMatchObject({ engine: 'postgres', postgres: { urlFile: '/etc/berth/metadata/url', tls: { caFile: '/etc/berth/metadata-ca/ca.crt' } } });
    const cnpgPod = (await client.get<KubeObject & { spec: { template: { spec: { volumes: Array<{ name: string; secret?: unknown }> } } } }>('apps/v1', 'Deployment', 'cnpg', appNs)).spec.template.spec;
    expect(cnpgPod.volumes.filter((v) => v.name.startsWith('metadata-')).map((v) => v.secret)).toEqual([
      expect.objectContaining({ secretName: 'berth-db-app', items: [{ key: 'uri', path: 'url' }] }),
      expect.objectContaining({ secretName: 'berth-db-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] }),
    ]);

    // The Repository example is stored with its defaults.
    const repo = await client.get<KubeObject & { spec: { visibility: string; retention: { keepLastTags: number } } }>(REGISTRY_API, 'Repository', 'team-a-api', appNs);
    expect(repo.spec).toMatchObject({ visibility: 'private', retention: { keepLastTags: 30 } });
  });

  it('syncs the AccessPolicy examples\' credentials into the team\'s namespaces', async () => {
    for (const name of ['team-a-pull', 'team-a-ci']) {
      await waitFor(`AccessPolicy ${name} Ready`, async () => {
        const p = await client.get<KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>(REGISTRY_API, 'AccessPolicy', name, appNs);
        return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      });
    }
    pullCredential = await credentialFrom(webNs, 'berth-pull-secret');
    pushCredential = await credentialFrom('team-a-ci', 'berth-push-secret');
    expect((await credentialFrom('team-a-ci', 'berth-pull-secret')).username).not.toBe(pushCredential.username);
    // Pods need no change: every ServiceAccount of the selected namespaces names the pull secret.
    await waitForObject(client, 'v1', 'ServiceAccount', 'default', webNs, (sa) => ((sa as KubeObject & { imagePullSecrets?: Array<{ name: string }> }).imagePullSecrets ?? []).some((r) => r.name === 'berth-pull-secret'));
    // The registry's robot files name both robots before their credentials are handed out.
    await waitFor('both robots in the robot files', async () => {
      const robots = robotNames(await policySecrets(client, 'main', appNs));
      return robots.includes(pullCredential.username) && robots.includes(pushCredential.username);
    });
  });

  it('annotates the registry\'s pods with the new policy revision when a selected namespace appears', async () => {
    // No controller manager here: a pod with the Deployment's pod labels stands in for a replica.
    await client.create({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'main-replica', namespace: appNs, labels: { 'app.kubernetes.io/name': 'berth-registry', 'app.kubernetes.io/instance': 'main' } },
      spec: { containers: [{ name: 'registry', image: 'berth.local/registry:test' }] },
    });
    const extra = uniqueName('team-a-extra');
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: extra, labels: { team: 'team-a' } } });
    await waitFor('the stand-in pod annotated with the current policy revision', async () => {
      const secrets = await policySecrets(client, 'main', appNs);
      const pod = await client.get('v1', 'Pod', 'main-replica', appNs);
      return robotNames(secrets).some((r) => r.endsWith(`/${extra}`))
        && pod.metadata.annotations?.['berth.dev/policy-revision'] === mountedRevision(secrets);
    });
    // The pass ends with the pull secret: deleting the namespace before it would fail the create (403, terminating).
    await waitForObject(client, 'v1', 'Secret', 'berth-pull-secret', extra);
    await client.delete('v1', 'Namespace', extra);
    await client.delete('v1', 'Pod', 'main-replica', appNs);
  });

  it('sets up the workload identity examples: no Secret, ServiceAccounts granted by uid, the kubelet\'s RBAC and configuration', async () => {
    type Policy = KubeObject & { status?: { serviceAccountCount?: number; conditions?: Array<{ type: string; status: string }> } };
    const ready = (p: Policy, type: string) => p.status?.conditions?.find((c) => c.type === type)?.status === 'True';
    const tokens = await waitFor('team-a-tokens ServiceAccountTokensReady', async () => {
      const p = await client.get<Policy>(REGISTRY_API, 'AccessPolicy', 'team-a-tokens', appNs);
      return ready(p, 'ServiceAccountTokensReady') && ready(p, 'Ready') ? p : undefined;
    });
    expect(tokens.status?.serviceAccountCount).toBe(1);
    await waitFor('team-a-github Ready', async () => ready(await client.get<Policy>(REGISTRY_API, 'AccessPolicy', 'team-a-github', appNs), 'Ready'));
    const secrets = await client.list('v1', 'Secret', { labelSelector: `berth.dev/access-policy-uid=${tokens.metadata.uid}` });
    expect(secrets.items).toEqual([]);
    const webUid = (await client.get('v1', 'ServiceAccount', 'web', webNs)).metadata.uid;
    await waitForObject<KubeObject & { data?: Record<string, string> }>(client, 'v1', 'Secret', 'identity-policy', appNs, (secret) => {
      const file = Buffer.from(secret.data?.['policy.yaml'] ?? '', 'base64').toString('utf8');
      return file.includes(`system:serviceaccount:${webNs}:web`) && file.includes(webUid!) && file.includes('acme/team-a');
    });
    const role = await client.get<KubeObject & { rules: PolicyRule[] }>('rbac.authorization.k8s.io/v1', 'ClusterRole', `berth:kubelet-audience:${appNs}:team-a-tokens`);
    expect(role.rules).toEqual([{ apiGroups: [''], resources: [`identity.${appNs}.svc`], verbs: ['request-serviceaccounts-token-audience'], resourceNames: ['web'] }]);
    await waitForObject(client, 'rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', `berth:${appNs}:identity:token-review`, undefined);
    await waitForObject(client, 'v1', 'ConfigMap', 'identity-credential-provider', appNs);
    const config = yaml.load((await client.get<KubeObject & { data: Record<string, string> }>('v1', 'ConfigMap', 'identity-config', appNs)).data['config.yaml']) as RegistryConfig;
    expect(config.auth.federation.issuers.map((i) => i.name)).toEqual(['cluster', 'github']);
  });

  it('starts a registry from exactly the filesystem example\'s rendered config and mounted Secrets', async () => {
    const deployment = await client.get<KubeObject & { spec: { template: PodTemplateSpec } }>('apps/v1', 'Deployment', 'main', appNs);
    const container = deployment.spec.template.spec.containers[0];
    expect(container.command).toEqual(['berth-registry', '--config', '/etc/berth/config.yaml']);
    const sandbox = await PodSandbox.materialize(client, appNs, deployment.spec.template, join(dir, 'pod'));
    const configText = (await client.get<KubeObject & { data: Record<string, string> }>('v1', 'ConfigMap', 'main-config', appNs)).data['config.yaml'];
    expect(readFileSync(sandbox.hostPath('/etc/berth/config.yaml'), 'utf8')).toBe(configText);
    const rendered = yaml.load(configText) as RegistryConfig;
    const main = await client.get<KubeObject & { status: { signingKeyID: string } }>(REGISTRY_API, 'Registry', 'main', appNs);
    expect(rendered.auth).toMatchObject({ enabled: true, signingKeys: [{ kid: main.status.signingKeyID, privateKeyFile: `/etc/berth/keys/${main.status.signingKeyID}.pem` }] });
    expect(rendered.auth.policyFile).toBeDefined();
    expect(readFileSync(sandbox.hostPath(rendered.auth.policyFile!), 'utf8')).toContain('"robotPrefixes"');
    // The robot files of the shards that exist (the kubelet leaves the others out), one of them with the CI robot.
    const robotFiles = rendered.auth.robotFiles.map((f) => sandbox.hostPath(f)).filter((f) => existsSync(f));
    expect(robotFiles.some((f) => readFileSync(f, 'utf8').includes(pushCredential.username))).toBe(true);
    expect(rendered.storage.filesystem?.root).toBe('/var/lib/berth');

    // Only the mount paths (now inside the sandbox) and the listen address differ from the ConfigMap.
    const config = sandbox.relocate(rendered);
    const port = await freePort();
    const sameListen = { ...config, http: { ...config.http, listen: rendered.http.listen } };
    expect(yaml.dump(sameListen).replaceAll(sandbox.root, '')).toBe(yaml.dump(rendered));
    mkdirSync(sandbox.hostPath('/var/lib/berth'), { recursive: true });
    registry = await startRegistryProcess({ config, port, dir: sandbox.root });
    const log = await registry.log();
    expect(log).toMatch(/"auth enabled"/);
    expect(log).toContain(main.status.signingKeyID);
  });

  it('crane pushes with the CI credentials; anonymous and pull-only pushes are refused', async () => {
    const layer = join(dir, 'layer.tar');
    writeFileSync(layer, tarOf('hello.txt', Buffer.from('hello from the helm e2e test\n')));
    const ref = `${registry!.host}/team-a/app:v1`;

    const anonymous = await run('crane', ['append', '-f', layer, '-t', ref], { env: clientEnv('anonymous') });
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/UNAUTHORIZED|401/);
    const denied = await run('crane', ['append', '-f', layer, '-t', ref], { env: clientEnv('pull-only', pullCredential) });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/DENIED|403/);

    pushedDigest = (await runOk('crane', ['append', '-f', layer, '-t', ref], { env: clientEnv('ci', pushCredential) })).trim().split('@')[1];
    expect(pushedDigest).toMatch(/^sha256:[a-f0-9]{64}$/);
  });

  it('skopeo pulls the image with the pull secret synced into a workload namespace, and not without it', async () => {
    const ref = `docker://${registry!.host}/team-a/app:v1`;
    const env = clientEnv('skopeo');
    const refused = await run('skopeo', ['inspect', '--tls-verify=false', ref], { env });
    expect(refused.code).not.toBe(0);
    const creds = `${pullCredential.username}:${pullCredential.password}`;
    const inspect = JSON.parse(await runOk('skopeo', ['inspect', '--tls-verify=false', '--creds', creds, ref], { env })) as { Digest: string };
    expect(inspect.Digest).toBe(pushedDigest);
    // The dir: transport stores the manifest and blobs as they were served, so digests can be checked.
    const pulled = join(dir, 'pulled');
    await runOk('skopeo', ['copy', '--src-tls-verify=false', '--src-creds', creds, ref, `dir:${pulled}`], { env });
    const manifest = readFileSync(join(pulled, 'manifest.json'));
    expect(`sha256:${createHash('sha256').update(manifest).digest('hex')}`).toBe(pushedDigest);
    const layerDigest = (JSON.parse(manifest.toString('utf8')) as { layers: Array<{ digest: string }> }).layers[0].digest;
    // crane gzips the tar it was given; the pulled layer unpacks to exactly that tar.
    expect(gunzipSync(readFileSync(join(pulled, layerDigest.slice('sha256:'.length)))).equals(readFileSync(join(dir, 'layer.tar')))).toBe(true);
  });

  it('the registry\'s and the operator\'s /metrics report the push and the reconciles', async () => {
    const regMetrics = await (await fetch(`${registry!.url}/metrics`)).text();
    expect(sample(regMetrics, 'berth_manifest_pushes_total', { repository: 'team-a/app' })).toBe(1);
    const opMetrics = await operator!.metrics();
    // A Registry reconcile that schedules its next key rotation counts as "requeue"; both are successful passes.
    const passes = (controller: string) => ['success', 'requeue'].reduce((n, result) => n + total(opMetrics, 'berth_operator_reconcile_total', { controller, result }), 0);
    expect(passes('registry')).toBeGreaterThanOrEqual(3);
    expect(passes('accesspolicy')).toBeGreaterThanOrEqual(2);
    expect(sample(opMetrics, 'berth_operator_leader')).toBe(1);
  });

  it('scaling the HA example down prunes its PodDisruptionBudget', async () => {
    await patchRegistrySpec(client, appNs, 'ha', { replicas: 1 });
    await waitForGone(client, 'policy/v1', 'PodDisruptionBudget', 'ha', appNs, 20_000).catch((err: Error) => {
      throw new Error(`${err.message}\noperator log:\n${operator!.tail()}\nrefused requests:\n${JSON.stringify([...proxy.failures(), ...proxy.clientErrors], null, 1)}`);
    });
    await waitForStatus(client, appNs, 'ha', 'reconciled after scale-down', (r) => !!r.status?.configHash);
  });

  it('the chart grants exactly what the operator used, and nothing was forbidden', async () => {
    expect(proxy.forbidden()).toEqual([]);
    // Every request was well-formed HTTP (the proxy parses what the apiserver would).
    expect(proxy.clientErrors).toEqual([]);
    expect(operator!.lines.filter((l) => /forbidden/i.test(JSON.stringify(l)))).toEqual([]);
    const clusterRole = await client.get<KubeObject & { rules: PolicyRule[] }>('rbac.authorization.k8s.io/v1', 'ClusterRole', OPERATOR);
    const role = await client.get<KubeObject & { rules: PolicyRule[] }>('rbac.authorization.k8s.io/v1', 'Role', `${OPERATOR}-leader-election`, releaseNs);
    // What the RBAC escalation check demands of whoever writes a binding, never a request of its own.
    const escalationOnly = ['core * request-serviceaccounts-token-audience', 'rbac.authorization.k8s.io clusterroles bind system:auth-delegator'];
    const allGranted = permissions([...clusterRole.rules, ...role.rules]);
    expect(allGranted).toEqual(expect.arrayContaining(escalationOnly));
    const granted = allGranted.filter((p) => !escalationOnly.includes(p));
    const used = proxy.permissionsUsed();
    // Every call was granted by the chart…
    expect(used.filter((p) => !granted.includes(p))).toEqual([]);
    // …every resource the chart names was used, and every verb it grants was used on some resource.
    const resourceOf = (p: string) => p.split(' ').slice(0, 2).join(' ');
    const verbOf = (p: string) => p.split(' ')[2];
    expect([...new Set(granted.map(resourceOf))].filter((r) => !used.some((u) => resourceOf(u) === r))).toEqual([]);
    expect([...new Set(granted.map(verbOf))].filter((v) => !used.some((u) => verbOf(u) === v))).toEqual([]);
    // Per resource, the verbs used are the verbs granted. The one exception is "delete": pruning
    // lists and deletes every kind a Registry can own by the same code path, and this run only
    // prunes a PodDisruptionBudget (operator-rbac.test.ts prunes more kinds).
    for (const r of new Set(granted.map(resourceOf))) {
      const g = granted.filter((p) => resourceOf(p) === r).map(verbOf);
      const u = used.filter((p) => resourceOf(p) === r).map(verbOf);
      expect({ resource: r, notUsed: g.filter((v) => !u.includes(v) && v !== 'delete') }).toEqual({ resource: r, notUsed: [] });
    }
  });

  it('helm upgrade with a changed value rolls the operator\'s command line', async () => {
    const out = await helmIn(['upgrade', RELEASE, CHART_DIR, '--reuse-values', '--set', 'operator.logLevel=debug', '--set', 'operator.workers=4']);
    expect(out).toMatch(/has been upgraded/);
    const bad = await helm(['upgrade', RELEASE, CHART_DIR, '--namespace', releaseNs, '--reuse-values', '--set', 'operator.workers=0'], { kubeconfig });
    expect(bad.code).not.toBe(0);
    const history = JSON.parse(await helmIn(['history', RELEASE, '--output', 'json'])) as Array<{ revision: number; status: string }>;
    expect(history.map((h) => `${h.revision}:${h.status}`)).toEqual(['1:superseded', '2:deployed']);

    await operator!.stop();
    operator = await startOperatorFromDeployment();
    expect(operator.opts.args).toEqual(expect.arrayContaining(['--log-level=debug', '--workers=4']));
    // The new operator reconciles with debug logging: a spec change shows up in its log.
    await patchRegistrySpec(client, appNs, 's3', { logLevel: 'debug' });
    await waitForStatus(client, appNs, 's3', 'reconciled after the upgrade', (r) => !!r.status?.configHash);
    await operator.waitForLog((l) => l.level === 'debug' && l.msg === 'reconciled');
    expect(proxy.forbidden()).toEqual([]);
  });

  it('helm uninstall removes every operator object; the CRDs and the users\' Registries stay', async () => {
    await operator!.stop();
    operator = undefined;
    const out = await helmIn(['uninstall', RELEASE]);
    expect(out).toMatch(/release "berth-e2e" uninstalled/);
    const left: string[] = [];
    for (const [apiVersion, kind] of [
      ['v1', 'ServiceAccount'], ['v1', 'Service'], ['v1', 'ConfigMap'], ['apps/v1', 'Deployment'],
      ['rbac.authorization.k8s.io/v1', 'Role'], ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
      ['rbac.authorization.k8s.io/v1', 'ClusterRole'], ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
    ] as const) {
      // Every namespace (and cluster-scoped kinds): nothing of the release may be left anywhere.
      const list = await client.list(apiVersion, kind, { labelSelector: INSTANCE });
      left.push(...list.items.map((o) => `${kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`));
    }
    expect(left).toEqual([]);
    const releaseSecrets = await client.list('v1', 'Secret', { namespace: releaseNs, labelSelector: `owner=helm,name=${RELEASE}` });
    expect(releaseSecrets.items).toEqual([]);
    for (const crd of ['registries.berth.dev', 'repositories.berth.dev', 'accesspolicies.berth.dev']) {
      expect((await client.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd)).metadata.name).toBe(crd);
    }
    expect((await client.get(REGISTRY_API, 'Registry', 'main', appNs)).metadata.name).toBe('main');
    await waitFor('helm to list no release', async () => !(await helmIn(['list', '--all', '--short'])).includes(RELEASE));
  });
});

let pushedDigest: string;
interface Credential { username: string; password: string }
let pullCredential: Credential;
let pushCredential: Credential;
const webNs = uniqueName('team-a-web');

/** The robot credential a synced pull secret holds for the Registry's in-cluster name, as a kubelet would use it. */
async function credentialFrom(namespace: string, name: string): Promise<Credential> {
  const secret = await waitForObject<KubeObject & { type: string; data: Record<string, string> }>(client, 'v1', 'Secret', name, namespace);
  expect(secret.type).toBe('kubernetes.io/dockerconfigjson');
  const config = JSON.parse(Buffer.from(secret.data['.dockerconfigjson'], 'base64').toString('utf8')) as { auths: Record<string, Credential> };
  const entry = config.auths[`main.${appNs}.svc:5000`];
  expect(entry).toBeDefined();
  return { username: entry.username, password: entry.password };
}

/** A private HOME and Docker config for a client; with a credential, logged in to the test registry. */
function clientEnv(name: string, credential?: Credential): NodeJS.ProcessEnv {
  const home = join(dir, 'clients', name);
  mkdirSync(join(home, 'docker'), { recursive: true });
  const auths = credential ? { [registry!.host]: { auth: Buffer.from(`${credential.username}:${credential.password}`).toString('base64') } } : {};
  writeFileSync(join(home, 'docker', 'config.json'), JSON.stringify({ auths }));
  return { HOME: home, DOCKER_CONFIG: join(home, 'docker'), REGISTRY_AUTH_FILE: join(home, 'containers-auth.json'), XDG_RUNTIME_DIR: home };
}
