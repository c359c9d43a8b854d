// Pulls with pods' own ServiceAccount tokens, set up by the operator, on the real
// control plane. The operator renders a Registry that trusts the cluster's issuer
// (and a CI issuer) and an AccessPolicy in serviceAccountToken mode; a real registry
// process runs with exactly the rendered config (test/harness/rendered-registry.ts:
// only pod paths rewritten to temp files, and the in-cluster API server name to the
// test bed's address), its policy file following the policy Secret, and its own
// token from the ServiceAccount the operator created, whose TokenReview permission
// is the binding the operator created. Pod-bound tokens from TokenRequest pull with
// crane and skopeo, as berth-credential-provider hands them to the runtime.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import type { AccessPolicy } from '../../operator/src/api/types.js';
import type { KubeClient } from '../../operator/src/kube/client.js';
import type { KubeObject, SecretObject as Secret } from '../../operator/src/kube/types.js';
import { sharedKubeconfig } from '../harness/control-plane/shared-plane.js';
import { tarOf } from '../harness/oci-layout.js';
import { OidcIssuer } from '../harness/oidc-issuer.js';
import { policySecrets, robotNames } from '../harness/policy-volume.js';
import type { RegistryProcess } from '../harness/registry-process.js';
import { IN_CLUSTER_API, startRenderedRegistry, type RenderedRegistry } from '../harness/rendered-registry.js';
import { ServiceAccounts } from '../harness/service-accounts.js';
import { run, runOk } from '../harness/tools.js';
import { uniqueName, waitFor } from './support/kube.js';
import { controllerStarted, withOperator } from './support/operator.js';
import { createRegistry, REGISTRY_API, waitForGone, waitForObject } from './support/registry.js';

type Any = Record<string, any>;
type Rbac = KubeObject & { rules?: Any[]; roleRef?: Any; subjects?: Any[] };
const RBAC = 'rbac.authorization.k8s.io/v1';
const CI_AUDIENCE = 'berth-ci';

const fx = withOperator('satoken', { identity: 'satoken-op', args: () => ['--policy-propagation-delay=2'] });
let client: KubeClient;
let ns: string;
let kube: ServiceAccounts;
let dir: string;
let rendered: RenderedRegistry;
let registry: RegistryProcess;
let host: string;
let audience: string;
let oidc: OidcIssuer;
/** The namespaces the policy selects (by label), and one it does not. */
let teamA: string;
let teamB: string;
let outside: string;
const uids: Record<string, string> = {};

const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
const policyPath = (name: string) => `/apis/${REGISTRY_API}/namespaces/${ns}/accesspolicies/${name}`;
const getPolicy = (name: string) => client.get<AccessPolicy>(REGISTRY_API, 'AccessPolicy', name, ns);
const condition = (p: AccessPolicy, type: string) => p.status?.conditions?.find((c) => c.type === type);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function patchPolicy(name: string, spec: Record<string, unknown>): Promise<void> {
  await client.request('PATCH', policyPath(name), { body: { spec }, contentType: 'application/merge-patch+json' });
}

/** The registry's policy file as the operator last rendered it. */
async function policyFile(): Promise<Any> {
  const s = await client.get<Secret>('v1', 'Secret', 'main-policy', ns);
  return JSON.parse(b64(s.data!['policy.yaml']));
}

/** A fresh client home per call, so no credential leaks between steps. */
function clientEnv(): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(dir, 'client-'));
  return { HOME: home, DOCKER_CONFIG: join(home, 'docker'), XDG_RUNTIME_DIR: home };
}

/** A pod running as the ServiceAccount (Pending: no kubelet) and a token bound to it for the registry's audience, as the kubelet asks. */
async function podToken(namespace: string, serviceAccount: string): Promise<string> {
  const pod = uniqueName(serviceAccount);
  const uid = await kube.pod(namespace, pod, serviceAccount, `main.${ns}.svc:5000/team-a/app:v1`);
  return kube.token(namespace, serviceAccount, audience, { name: pod, uid });
}

async function cranePull(repo: string, password: string) {
  const env = clientEnv();
  await runOk('crane', ['auth', 'login', host, '-u', 'serviceaccount', '-p', password], { env });
  return run('crane', ['pull', `${host}/${repo}:v1`, join(env.HOME!, 'image.tar')], { env });
}

function skopeoInspect(repo: string, password: string) {
  return run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', `serviceaccount:${password}`, `docker://${host}/${repo}:v1`], { env: clientEnv(), timeoutMs: 30_000 });
}

/** The registry's answer to a manifest GET with the token as Bearer. */
async function manifestStatus(repo: string, token: string): Promise<number> {
  const res = await fetch(`${registry.url}/v2/${repo}/manifests/v1`, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/vnd.oci.image.manifest.v1+json' } });
  await res.arrayBuffer();
  return res.status;
}

/** A SubjectAccessReview as a kubelet would be checked (ServiceAccountNodeAudienceRestriction). */
async function nodeMayRequest(namespace: string, serviceAccount: string): Promise<boolean> {
  const review = await client.request<{ status: { allowed: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    body: {
      apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview',
      spec: {
        user: 'system:node:node-1', groups: ['system:nodes', 'system:authenticated'],
        resourceAttributes: { group: '', resource: audience, verb: 'request-serviceaccounts-token-audience', name: serviceAccount, namespace },
      },
    },
  });
  return review.status.allowed;
}

async function secretsOfPolicy(uid: string): Promise<Secret[]> {
  return (await client.list<Secret>('v1', 'Secret', { labelSelector: `berth.dev/access-policy-uid=${uid}` })).items;
}

async function labelledNamespace(prefix: string, selected: boolean): Promise<string> {
  const name = uniqueName(prefix);
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: selected ? { 'berth-test/tokens': ns } : {} } });
  return name;
}

beforeAll(async () => {
  ({ client, ns } = fx);
  dir = mkdtempSync(join(tmpdir(), 'berth-satoken-'));
  kube = new ServiceAccounts(sharedKubeconfig());
  const kc = new KubeConfig();
  kc.loadFromFile(sharedKubeconfig());
  const cluster = kc.getCurrentCluster()!;
  const server = cluster.server.replace(/\/+$/, '');
  const caFile = join(dir, 'cluster-ca.crt');
  writeFileSync(caFile, Buffer.from(cluster.caData!, 'base64'));

  // A CI issuer whose CA the Registry reads from a ConfigMap.
  oidc = await OidcIssuer.start();
  await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'github-ca', namespace: ns }, data: { 'ca.crt': readFileSync(oidc.caFile, 'utf8') } });
  await createRegistry(client, ns, 'main', {
    storage: { filesystem: {} },
    auth: { federation: { cluster: {}, issuers: [{ name: 'github', issuer: oidc.issuer, audiences: [CI_AUDIENCE], requiredClaims: ['repository', 'ref'], caConfigMapRef: { name: 'github-ca' } }] } },
  });
  await waitForObject<KubeObject & Any>(client, 'v1', 'ConfigMap', 'main-config', ns, (c) => c.data['config.yaml'].includes('federation'));
  await waitForObject(client, 'v1', 'Secret', 'main-signing-keys', ns);
  await waitForObject(client, 'v1', 'ServiceAccount', 'main', ns);
  await waitForObject(client, RBAC, 'ClusterRoleBinding', `berth:${ns}:main:token-review`, undefined);
  await waitForObject<KubeObject & Any>(client, 'apps/v1', 'Deployment', 'main', ns, (d) => d.spec.template.spec.serviceAccountName === 'main');
  // Its own token is the ServiceAccount's the operator made; TokenReview works through the operator's binding.
  rendered = await startRenderedRegistry({ client, namespace: ns, name: 'main', dir, apiServer: server, caFile });
  registry = rendered.process;
  audience = rendered.audience!;
  expect(rendered.rendered.auth.federation.issuers[1].caFile).toBe('/etc/berth/federation/github/ca.crt');
  host = registry.host;

  // Seed team-a/app and team-b/app as the admin.
  const admin = await client.get<Secret>('v1', 'Secret', 'main-admin', ns);
  const env = clientEnv();
  await runOk('crane', ['auth', 'login', host, '-u', b64(admin.data!.username), '-p', b64(admin.data!.password)], { env });
  const layer = join(dir, 'layer.tar');
  writeFileSync(layer, tarOf('hello.txt', Buffer.from('pulled with a ServiceAccount token\n')));
  for (const repo of ['team-a/app', 'team-b/app']) await runOk('crane', ['append', '-f', layer, '-t', `${host}/${repo}:v1`], { env });

  teamA = await labelledNamespace('team-a', true);
  teamB = await labelledNamespace('team-b', true);
  outside = await labelledNamespace('outside', false);
  uids.aWeb = await kube.create(teamA, 'web');
  uids.aOther = await kube.create(teamA, 'other');
  uids.bWeb = await kube.create(teamB, 'web');
  uids.outsideWeb = await kube.create(outside, 'web');
}, 180_000);

afterAll(async () => {
  await rendered?.stop();
  await oidc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Registry spec.auth.federation', () => {
  it('trusts the issuer the API server announces, for the Registry\'s audience, with the pods\' own token', async () => {
    const discovered = await client.request<{ issuer: string }>('GET', '/.well-known/openid-configuration');
    const config = yaml.load((await client.get<KubeObject & Any>('v1', 'ConfigMap', 'main-config', ns)).data['config.yaml']) as Any;
    expect(config.auth.federation.issuers[0]).toMatchObject({
      name: 'cluster', type: 'kubernetes', issuer: discovered.issuer, audiences: [`main.${ns}.svc`], verify: 'both',
      tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token', apiServer: IN_CLUSTER_API, jwksURI: `${IN_CLUSTER_API}/openid/v1/jwks`,
    });
    const pod = (await client.get<KubeObject & Any>('apps/v1', 'Deployment', 'main', ns)).spec.template.spec;
    expect(pod).toMatchObject({ serviceAccountName: 'main', automountServiceAccountToken: true });
    const binding = await client.get<Rbac>(RBAC, 'ClusterRoleBinding', `berth:${ns}:main:token-review`);
    expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'system:auth-delegator' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'main', namespace: ns }]);
  });

  it('renders the kubelet\'s CredentialProviderConfig for the Registry\'s hosts and audience', async () => {
    const cm = await client.get<KubeObject & Any>('v1', 'ConfigMap', 'main-credential-provider', ns);
    const config = yaml.load(cm.data['credential-provider-config.yaml']) as Any;
    expect(config).toMatchObject({ apiVersion: 'kubelet.config.k8s.io/v1', kind: 'CredentialProviderConfig' });
    expect(config.providers).toEqual([{
      name: 'berth-credential-provider', apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
      matchImages: [`main.${ns}.svc:5000`, `main.${ns}.svc.cluster.local:5000`, `main.${ns}:5000`],
      defaultCacheDuration: '10m',
      tokenAttributes: { serviceAccountTokenAudience: audience, cacheType: 'Token', requireServiceAccount: true },
    }]);
  });
});

describe('AccessPolicy credentials: serviceAccountToken', () => {
  let policy: AccessPolicy;

  it('writes no Secret, grants the selected ServiceAccounts by uid, and lets nodes request the audience for their names only', async () => {
    await client.create({
      apiVersion: REGISTRY_API, kind: 'AccessPolicy', metadata: { name: 'web-pulls', namespace: ns },
      spec: {
        registryRef: { name: 'main' }, namespaces: { selector: { matchLabels: { 'berth-test/tokens': ns } } },
        credentials: ['serviceAccountToken'], serviceAccounts: ['web'], repositories: ['team-a/**'], actions: ['pull'],
      },
    });
    policy = await waitFor('ServiceAccountTokensReady', async () => {
      const p = await getPolicy('web-pulls');
      return condition(p, 'ServiceAccountTokensReady')?.status === 'True' && p.status?.observedGeneration === p.metadata.generation ? p : undefined;
    });
    expect(policy.status).toMatchObject({ namespaceCount: 2, syncedNamespaceCount: 2, serviceAccountCount: 2 });
    expect(condition(policy, 'Ready')).toMatchObject({ status: 'True' });
    expect(condition(policy, 'ServiceAccountTokensReady')!.message).toBe(`2 ServiceAccount(s) in 2 namespace(s) pull with their own token (audience ${audience}); nodes may request it for web`);

    // Not one Secret in any namespace, selected or not.
    expect(await secretsOfPolicy(policy.metadata.uid!)).toEqual([]);
    for (const n of [teamA, teamB]) expect(await client.getOptional('v1', 'Secret', 'berth-pull-secret', n)).toBeUndefined();

    const rule = (await policyFile()).rules.find((r: Any) => r.name === `accesspolicy/${ns}/web-pulls`);
    expect(rule).toEqual({
      name: `accesspolicy/${ns}/web-pulls`,
      federated: [
        { issuer: 'cluster', subject: `system:serviceaccount:${teamA}:web`, claims: { serviceAccountUID: uids.aWeb } },
        { issuer: 'cluster', subject: `system:serviceaccount:${teamB}:web`, claims: { serviceAccountUID: uids.bWeb } },
      ].sort((a, b) => a.subject.localeCompare(b.subject)),
      repositories: ['team-a/**'], actions: ['pull'],
    });

    const name = `berth:kubelet-audience:${ns}:web-pulls`;
    const role = await client.get<Rbac>(RBAC, 'ClusterRole', name);
    expect(role.rules).toEqual([{ apiGroups: [''], resources: [audience], verbs: ['request-serviceaccounts-token-audience'], resourceNames: ['web'] }]);
    const binding = await client.get<Rbac>(RBAC, 'ClusterRoleBinding', name);
    expect(binding.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:nodes' }]);
    expect(await nodeMayRequest(teamA, 'web')).toBe(true);
    expect(await nodeMayRequest(teamA, 'other')).toBe(false);
  });

  it('a pod-bound token of a selected ServiceAccount pulls with crane and skopeo; other repositories are refused 403', async () => {
    const token = await podToken(teamA, 'web');
    await waitFor('the grant in the registry', async () => (await manifestStatus('team-a/app', token)) === 200);
    const crane = await cranePull('team-a/app', token);
    expect(crane.stderr).toBe('');
    expect(crane.code).toBe(0);
    const skopeo = await skopeoInspect('team-a/app', token);
    expect(skopeo.code).toBe(0);
    expect(JSON.parse(skopeo.stdout).mediaType).toMatch(/manifest/);
    expect(await manifestStatus('team-b/app', token)).toBe(403);
    const denied = await cranePull('team-b/app', token);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/DENIED|403/);
  });

  it('an unselected ServiceAccount, or the same name in an unselected namespace, is refused 403', async () => {
    for (const token of [await podToken(teamA, 'other'), await podToken(outside, 'web')]) {
      expect(await manifestStatus('team-a/app', token)).toBe(403);
      const crane = await cranePull('team-a/app', token);
      expect(crane.code).not.toBe(0);
      expect(crane.stderr).toMatch(/DENIED|403/);
      const skopeo = await skopeoInspect('team-a/app', token);
      expect(skopeo.code).not.toBe(0);
      expect(skopeo.stderr).toMatch(/denied|403/i);
    }
  });

  it('selecting another ServiceAccount reaches the registry (the time is printed; npm run bench:grants measures it)', async () => {
    const token = await podToken(teamA, 'other');
    expect(await manifestStatus('team-a/app', token)).toBe(403);
    const changed = Date.now();
    await patchPolicy('web-pulls', { serviceAccounts: ['web', 'other'] });
    await waitFor('the new grant in the registry', async () => (await manifestStatus('team-a/app', token)) === 200, 60_000, 50);
    process.stderr.write(`[satoken] policy change → effective in the registry: ${Date.now() - changed} ms\n`);
    // The same pass writes the kubelet's RBAC after the policy, so it may land a moment after the registry's answer.
    await waitFor('resourceNames widened', async () => (await client.get<Rbac>(RBAC, 'ClusterRole', `berth:kubelet-audience:${ns}:web-pulls`)).rules![0].resourceNames.join() === 'other,web', 10_000, 50);
    await patchPolicy('web-pulls', { serviceAccounts: ['web'] });
    await waitFor('the grant withdrawn', async () => (await manifestStatus('team-a/app', token)) === 403, 60_000, 50);
    await waitFor('resourceNames narrowed', async () => (await client.get<Rbac>(RBAC, 'ClusterRole', `berth:kubelet-audience:${ns}:web-pulls`)).rules![0].resourceNames.join() === 'web');
  });

  it('a recreated ServiceAccount is refused until the operator renders its new uid, then pulls', async () => {
    const oldToken = await podToken(teamB, 'web');
    expect(await manifestStatus('team-a/app', oldToken)).toBe(200);

    // Without an operator nothing re-renders: the recreated ServiceAccount (a new uid) is refused.
    await fx.operator.stop();
    await kube.delete(teamB, 'web');
    const newUid = await kube.create(teamB, 'web');
    expect(newUid).not.toBe(uids.bWeb);
    const newToken = await podToken(teamB, 'web');
    expect(await manifestStatus('team-a/app', newToken)).toBe(403);
    await sleep(2000);
    expect(await manifestStatus('team-a/app', newToken)).toBe(403);
    expect(JSON.stringify(await policyFile())).toContain(uids.bWeb);

    // An operator starts: its ServiceAccount cache has the new uid, and the next pass renders it.
    const op = fx.start('satoken-op-2', { args: ['--policy-propagation-delay=2'] });
    await op.waitForLog(controllerStarted);
    await waitFor('the new uid granted', async () => (await manifestStatus('team-a/app', newToken)) === 200);
    const file = JSON.stringify(await policyFile());
    expect(file).toContain(newUid);
    expect(file).not.toContain(uids.bWeb);
    // The deleted ServiceAccount's token: its uid is no longer granted (403), or TokenReview already refuses it (401).
    expect([401, 403]).toContain(await manifestStatus('team-a/app', oldToken));
    uids.bWeb = newUid;

    // With the operator running, re-selection needs nobody: the ServiceAccount watch brings the pass.
    await kube.delete(teamB, 'web');
    const thirdUid = await kube.create(teamB, 'web');
    const thirdToken = await podToken(teamB, 'web');
    await waitFor('the recreated ServiceAccount re-selected', async () => (await manifestStatus('team-a/app', thirdToken)) === 200);
    expect(JSON.stringify(await policyFile())).toContain(thirdUid);
    uids.bWeb = thirdUid;
  });

  it('a kubelet ClusterRole deleted or widened by hand is restored', async () => {
    const name = `berth:kubelet-audience:${ns}:web-pulls`;
    await client.request('PATCH', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${encodeURIComponent(name)}`, {
      body: { rules: [{ apiGroups: [''], resources: [audience], verbs: ['request-serviceaccounts-token-audience'] }] }, contentType: 'application/merge-patch+json',
    });
    await waitFor('the rule narrowed again', async () => (await client.get<Rbac>(RBAC, 'ClusterRole', name)).rules![0].resourceNames?.join() === 'web');
    await client.delete(RBAC, 'ClusterRoleBinding', name);
    await waitForObject(client, RBAC, 'ClusterRoleBinding', name, undefined);
  });

  it('both credentials during a migration: pull secrets and tokens pull side by side; back to tokens only, the Secrets go', async () => {
    await patchPolicy('web-pulls', { credentials: ['pullSecret', 'serviceAccountToken'], additionalHosts: [host] });
    const secret = await waitFor('a pull secret in team-b', () => client.getOptional<Secret>('v1', 'Secret', 'berth-pull-secret', teamB));
    await waitFor('a pull secret in team-a', () => client.getOptional<Secret>('v1', 'Secret', 'berth-pull-secret', teamA));
    const authFile = join(dir, 'migration-auth.json');
    writeFileSync(authFile, b64(secret.data!['.dockerconfigjson']));
    await waitFor('the robot pulls', async () => (await run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--authfile', authFile, `docker://${host}/team-a/app:v1`], { env: clientEnv() })).code === 0, 30_000, 300);
    const token = await podToken(teamB, 'web');
    expect(await manifestStatus('team-a/app', token)).toBe(200);
    expect((await cranePull('team-a/app', token)).code).toBe(0);
    const migrating = await waitFor('both reported', async () => {
      const p = await getPolicy('web-pulls');
      return p.status?.observedGeneration === p.metadata.generation && condition(p, 'Ready')?.status === 'True' ? p : undefined;
    });
    expect(condition(migrating, 'ServiceAccountTokensReady')?.status).toBe('True');
    expect(migrating.status).toMatchObject({ syncedNamespaceCount: 2, serviceAccountCount: 2 });
    const rule = (await policyFile()).rules.find((r: Any) => r.name === `accesspolicy/${ns}/web-pulls`);
    expect(rule.robotPrefixes).toEqual(['ap/web-pulls/']);
    expect(robotNames(await policySecrets(client, 'main', ns)).filter((r) => r.startsWith('ap/web-pulls/'))).toEqual([`ap/web-pulls/${teamA}`, `ap/web-pulls/${teamB}`].sort());
    expect(rule.federated).toHaveLength(2);

    await patchPolicy('web-pulls', { credentials: ['serviceAccountToken'] });
    await waitFor('the pull secrets gone', async () => (await secretsOfPolicy(policy.metadata.uid!)).length === 0);
    await waitFor('the robot refused', async () => (await run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--authfile', authFile, `docker://${host}/team-a/app:v1`], { env: clientEnv() })).code !== 0, 30_000, 300);
    expect(robotNames(await policySecrets(client, 'main', ns)).filter((r) => r.startsWith('ap/web-pulls/'))).toEqual([]);
    expect(await manifestStatus('team-a/app', token)).toBe(200);
  });

  it('deleting the policy withdraws the grants and removes the kubelet RBAC', async () => {
    const token = await podToken(teamA, 'web');
    expect(await manifestStatus('team-a/app', token)).toBe(200);
    await client.delete(REGISTRY_API, 'AccessPolicy', 'web-pulls', ns);
    await waitForGone(client, REGISTRY_API, 'AccessPolicy', 'web-pulls', ns);
    const name = `berth:kubelet-audience:${ns}:web-pulls`;
    expect(await client.getOptional(RBAC, 'ClusterRole', name)).toBeUndefined();
    expect(await client.getOptional(RBAC, 'ClusterRoleBinding', name)).toBeUndefined();
    await waitFor('the grant withdrawn', async () => (await manifestStatus('team-a/app', token)) === 403);
  });
});

describe('AccessPolicy spec.federated (CI identities)', () => {
  it('the main branch of acme/team-a pushes with its OIDC token; another branch is refused 403', async () => {
    await client.create({
      apiVersion: REGISTRY_API, kind: 'AccessPolicy', metadata: { name: 'team-a-ci', namespace: ns },
      spec: { registryRef: { name: 'main' }, federated: [{ issuer: 'github', claims: { repository: 'acme/team-a', ref: 'refs/heads/main' } }], repositories: ['team-a/*'], actions: ['pull', 'push'] },
    });
    const main = await oidc.githubToken({ audience: CI_AUDIENCE, repository: 'acme/team-a', ref: 'refs/heads/main' });
    await waitFor('the CI rule in the registry', async () => (await manifestStatus('team-a/app', main)) === 200);
    const env = clientEnv();
    await runOk('crane', ['auth', 'login', host, '-u', 'oidc', '-p', main], { env });
    await runOk('crane', ['copy', `${host}/team-a/app:v1`, `${host}/team-a/built:v1`], { env });
    const ci = await getPolicy('team-a-ci');
    expect(ci.status).toMatchObject({ namespaceCount: 0 });
    expect(ci.status?.conditions?.find((c) => c.type === 'ServiceAccountTokensReady')).toBeUndefined();
    expect(await secretsOfPolicy(ci.metadata.uid!)).toEqual([]);

    const branch = await oidc.githubToken({ audience: CI_AUDIENCE, repository: 'acme/team-a', ref: 'refs/heads/feature' });
    const otherEnv = clientEnv();
    await runOk('crane', ['auth', 'login', host, '-u', 'oidc', '-p', branch], { env: otherEnv });
    const refused = await run('crane', ['copy', `${host}/team-a/app:v1`, `${host}/team-a/sneaky:v1`], { env: otherEnv });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/DENIED|403/);
  });
});

describe('deleting the Registry', () => {
  it('removes its TokenReview binding, which no owner reference could', async () => {
    await client.delete(REGISTRY_API, 'AccessPolicy', 'team-a-ci', ns);
    await client.delete(REGISTRY_API, 'Registry', 'main', ns);
    await waitForGone(client, REGISTRY_API, 'Registry', 'main', ns);
    expect(await client.getOptional(RBAC, 'ClusterRoleBinding', `berth:${ns}:main:token-review`)).toBeUndefined();
  });
});
