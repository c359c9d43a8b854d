// Pulls with Kubernetes ServiceAccount tokens, with real parts only: the test
// bed's kube-apiserver is the issuer (discovery and JWKS on loopback, TokenRequest,
// TokenReview), two real registry processes trust it (one `verify: jwks`, one
// `verify: both`), and skopeo, crane and oras pull with a pod-bound token as the
// password, as the kubelet's credential provider hands it to containerd.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { federationSchema } from '#contract/config/federation.js';
import type { PolicyFile } from '#contract/auth/policy-file.js';
import { FederationVerifier } from '../../registry/src/auth/federation/verifier.js';
import { InvalidTokenError } from '../../registry/src/auth/tokens.js';
import { startControlPlane, type ControlPlane } from '../harness/control-plane/control-plane.js';
import { providerRequest, providerResponse } from '../harness/credential-provider.js';
import { awaitAuditLine } from '../harness/audit-log.js';
import { tarOf } from '../harness/oci-layout.js';
import { startRegistryProcess, type RegistryProcess } from '../harness/registry-process.js';
import { ServiceAccounts } from '../harness/service-accounts.js';
import { run, runOk } from '../harness/tools.js';
import { ADMIN, authWorkspace, basic, SERVICE, type AuthWorkspace } from '../registry/auth/fixtures.js';

const AUDIENCE = 'berth.test/registry';
const NS = 'team-a';
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let plane: ControlPlane;
let kube: ServiceAccounts;
let work: string;
let registryTokenFile: string;
let caPem: Buffer;
const uids: Record<string, string> = {};

interface Registry {
  readonly process: RegistryProcess;
  readonly ws: AuthWorkspace;
  readonly host: string;
  readonly auditLog: string;
}
let byJwks: Registry;
let byReview: Registry;

function policy(pullerUID: string): PolicyFile {
  const sa = (name: string, uid: string) => ({ issuer: 'cluster', subject: `system:serviceaccount:${NS}:${name}`, claims: { serviceAccountUID: uid } });
  return {
    rules: [
      { name: `${NS}/puller`, federated: [sa('puller', pullerUID)], repositories: [`${NS}/**`], actions: ['pull'] },
      { name: `${NS}/builder`, federated: [sa('builder', uids.builder)], repositories: [`${NS}/**`], actions: ['pull', 'push'] },
    ],
  };
}

async function startRegistry(verify: 'jwks' | 'both'): Promise<Registry> {
  const ws = await authWorkspace();
  await ws.writePolicy(policy(uids.puller));
  const auditLog = join(ws.dir, 'audit.log');
  const base = ws.config({
    auth: {
      federation: {
        issuers: [{
          name: 'cluster', issuer: `${plane.server}/`, audiences: [AUDIENCE], type: 'kubernetes', verify,
          caFile: plane.certs.caCert, tokenFile: registryTokenFile, apiServer: plane.server,
        }],
      },
    },
  });
  const process = await startRegistryProcess({ config: { ...base, events: { auditLog: { enabled: true, file: auditLog } } } });
  return { process, ws, host: process.host, auditLog };
}

/** A fresh client home (Docker config) per call, so credentials never leak between steps. */
async function clientEnv(): Promise<NodeJS.ProcessEnv> {
  const home = await mkdtemp(join(work, 'client-'));
  return { HOME: home, DOCKER_CONFIG: join(home, 'docker') };
}

async function cranePull(host: string, image: string, username: string, password: string) {
  const env = await clientEnv();
  await runOk('crane', ['auth', 'login', host, '-u', username, '-p', password], { env });
  return run('crane', ['pull', `${host}/${image}`, join(env.HOME!, 'image.tar')], { env });
}

async function pullAll(host: string, image: string, token: string): Promise<void> {
  const env = await clientEnv();
  const out = join(env.HOME!, 'out');
  await runOk('skopeo', ['copy', '--src-tls-verify=false', '--src-creds', `serviceaccount:${token}`, `docker://${host}/${image}`, `oci:${out}-skopeo:v1`], { env });
  const crane = await cranePull(host, image, 'serviceaccount', token);
  if (crane.code !== 0) throw new Error(`crane pull: ${crane.stderr}`);
  await runOk('oras', ['cp', '--from-plain-http', '--from-username', 'serviceaccount', '--from-password', token, `${host}/${image}`, '--to-oci-layout', `${out}-oras:v1`], { env });
}

/** The token endpoint's answer to the token as a password: 200 with a registry token, or the refusal. */
async function login(reg: Registry, token: string, scope = `repository:${NS}/app:pull`) {
  const res = await fetch(`${reg.process.url}/auth/token?service=${SERVICE}&scope=${scope}`, { headers: { Authorization: basic('serviceaccount', token) } });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

function discovery(path: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https.get(`${plane.server}${path}`, { ca: caPem, headers: token ? { Authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-wi-k8s-'));
  plane = await startControlPlane({ name: `identity-${process.pid}` });
  caPem = await readFile(plane.certs.caCert);
  kube = new ServiceAccounts(plane.kubeconfig);
  // The registry's own identity: issuer discovery is open to every ServiceAccount by
  // default; TokenReview needs system:auth-delegator.
  await kube.namespace('berth-system');
  await kube.create('berth-system', 'registry');
  await kube.bindClusterRole('berth-registry-tokenreview', 'system:auth-delegator', 'berth-system', 'registry');
  registryTokenFile = join(work, 'registry-token');
  await writeFile(registryTokenFile, await kube.token('berth-system', 'registry', undefined, undefined, 3600));

  await kube.namespace(NS);
  uids.puller = await kube.create(NS, 'puller');
  uids.builder = await kube.create(NS, 'builder');
  [byJwks, byReview] = await Promise.all([startRegistry('jwks'), startRegistry('both')]);

  const layer = join(work, 'layer.tar');
  await writeFile(layer, tarOf('hello.txt', Buffer.from('pulled with a ServiceAccount token\n')));
  const adminEnv = await clientEnv();
  for (const reg of [byJwks, byReview]) {
    await runOk('crane', ['auth', 'login', reg.host, '-u', ADMIN.username, '-p', ADMIN.password], { env: adminEnv });
    for (const repo of [`${NS}/app`, 'team-b/app']) await runOk('crane', ['append', '-f', layer, '-t', `${reg.host}/${repo}:v1`], { env: adminEnv });
  }
}, 240_000);

afterAll(async () => {
  await Promise.all([byJwks?.process.stop(), byReview?.process.stop()]);
  await plane?.stop();
});

describe('workload identity: Kubernetes ServiceAccount tokens', () => {
  let podToken: string;

  test('the test-bed API server is a ServiceAccount issuer on loopback: discovery and JWKS, for ServiceAccounts only', async () => {
    const registryToken = (await readFile(registryTokenFile, 'utf8')).trim();
    const doc = await discovery('/.well-known/openid-configuration', registryToken);
    expect(doc.status).toBe(200);
    const config = JSON.parse(doc.body);
    expect(config.issuer).toBe(`${plane.server}/`);
    expect(config.jwks_uri).toBe(`${plane.server}/openid/v1/jwks`);
    const jwks = JSON.parse((await discovery('/openid/v1/jwks', registryToken)).body);
    expect(jwks.keys).toEqual([expect.objectContaining({ kty: 'EC', alg: 'ES256', use: 'sig' })]);
    expect([401, 403]).toContain((await discovery('/.well-known/openid-configuration')).status);
  });

  test('a pod-bound token for the registry audience pulls with skopeo, crane and oras from both registries', async () => {
    uids.web = await kube.pod(NS, 'web', 'puller', `${byJwks.host}/${NS}/app:v1`);
    podToken = await kube.token(NS, 'puller', AUDIENCE, { name: 'web', uid: uids.web });
    const claims = claimsOf(podToken);
    expect(claims).toMatchObject({ iss: `${plane.server}/`, aud: [AUDIENCE], sub: `system:serviceaccount:${NS}:puller`, 'kubernetes.io': { pod: { name: 'web', uid: uids.web } } });
    for (const reg of [byJwks, byReview]) await pullAll(reg.host, `${NS}/app:v1`, podToken);

    // Registry tokens end no later than the pod's token; with TokenReview, within the review's 60 s.
    const left = claims.exp - Math.floor(Date.now() / 1000);
    const jwksLogin = await login(byJwks, podToken);
    expect(jwksLogin.status).toBe(200);
    expect(jwksLogin.body.expires_in).toBe(Math.min(300, left));
    expect(claimsOf(jwksLogin.body.token as string).exp).toBeLessThanOrEqual(claims.exp);
    const reviewLogin = await login(byReview, podToken);
    expect(reviewLogin.status).toBe(200);
    expect(reviewLogin.body.expires_in).toBeLessThanOrEqual(60);
    expect(reviewLogin.body.refresh_token).toBeUndefined();
  });

  test('403 on a repository the ServiceAccount is not granted, and on a push it may not make', async () => {
    for (const reg of [byJwks, byReview]) {
      const pull = await cranePull(reg.host, 'team-b/app:v1', 'serviceaccount', podToken);
      expect(pull.code).not.toBe(0);
      expect(pull.stderr).toMatch(/DENIED|403/);
      const skopeo = await run('skopeo', ['inspect', '--tls-verify=false', '--creds', `serviceaccount:${podToken}`, `docker://${reg.host}/team-b/app:v1`], { env: await clientEnv() });
      expect(skopeo.code).not.toBe(0);
      expect(skopeo.stderr).toMatch(/denied|403/i);
      const res = await fetch(`${reg.process.url}/v2/team-b/app/manifests/v1`, { headers: { Authorization: `Bearer ${podToken}` } });
      expect(res.status).toBe(403);
      expect((await res.json() as { errors: { code: string }[] }).errors[0].code).toBe('DENIED');
    }
    const env = await clientEnv();
    await runOk('crane', ['auth', 'login', byJwks.host, '-u', 'serviceaccount', '-p', podToken], { env });
    const push = await run('crane', ['copy', `${byJwks.host}/${NS}/app:v1`, `${byJwks.host}/${NS}/app:copied`], { env });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/DENIED|403/);
  });

  test('berth-credential-provider answers the kubelet\'s request for this pod, and crane pulls with its answer', async () => {
    const image = `${byJwks.host}/${NS}/app:v1`;
    const answer = await providerResponse(providerRequest(image, podToken, { 'berth.dev/registry': 'main' }));
    expect(Object.keys(answer.auth)).toEqual([byJwks.host]);
    const { username, password } = answer.auth[byJwks.host];
    expect(password).toBe(podToken);
    const cache = Number(answer.cacheDuration!.slice(0, -1));
    const left = claimsOf(podToken).exp - Math.floor(Date.now() / 1000);
    expect(cache).toBeGreaterThanOrEqual(left - 65);
    expect(cache).toBeLessThanOrEqual(left - 60);
    const pull = await cranePull(byJwks.host, `${NS}/app:v1`, username, password);
    expect(pull.stderr).toBe('');
    expect(pull.code).toBe(0);
  });

  test('an in-cluster build pushes with its ServiceAccount token, and the audit log names its pod', async () => {
    uids.build = await kube.pod(NS, 'build', 'builder', 'busybox');
    const token = await kube.token(NS, 'builder', AUDIENCE, { name: 'build', uid: uids.build });
    const env = await clientEnv();
    await runOk('crane', ['auth', 'login', byJwks.host, '-u', 'serviceaccount', '-p', token], { env });
    await runOk('crane', ['copy', `${byJwks.host}/${NS}/app:v1`, `${byJwks.host}/${NS}/built:v1`], { env });
    const manifestPut = await awaitAuditLine(byJwks.auditLog, (l) => l.method === 'PUT' && l.repository === `${NS}/built` && String(l.action).startsWith('manifest'));
    expect(manifestPut).toMatchObject({
      actor: `system:serviceaccount:${NS}:builder`, result: 'success',
      identity: { issuer: 'cluster', pod: 'build', podUID: uids.build, serviceAccountUID: uids.builder },
    });
  });

  test('a deleted pod: TokenReview refuses its token within 60 s (at once if never seen); JWKS accepts it until it expires', async () => {
    // A token never presented before its pod is deleted: refused at the first review.
    const otherUID = await kube.pod(NS, 'web-2', 'puller', 'busybox');
    const unseen = await kube.token(NS, 'puller', AUDIENCE, { name: 'web-2', uid: otherUID });
    await kube.deletePod(NS, 'web-2');
    const first = await login(byReview, unseen);
    expect(first.status).toBe(401);
    expect(first.body).toEqual({ errors: [{ code: 'UNAUTHORIZED', message: expect.stringMatching(/^invalid token: refused by TokenReview/) }] });

    // The token in use when its pod goes: accepted from the review cache, then refused.
    expect((await login(byReview, podToken)).status).toBe(200);
    await kube.deletePod(NS, 'web');
    const deletedAt = Date.now();
    let refusedAfterMs = -1;
    while (Date.now() - deletedAt < 75_000) {
      const probeAt = Date.now();
      if ((await login(byReview, podToken)).status === 401) {
        refusedAfterMs = probeAt - deletedAt;
        break;
      }
      await sleep(250);
    }
    process.stderr.write(`[identity] TokenReview refused the deleted pod's token after ${(refusedAfterMs / 1000).toFixed(1)} s\n`);
    expect(refusedAfterMs).toBeGreaterThanOrEqual(0);
    expect(refusedAfterMs).toBeLessThanOrEqual(60_500);
    const refusedPull = await cranePull(byReview.host, `${NS}/app:v1`, 'serviceaccount', podToken);
    expect(refusedPull.code).not.toBe(0);
    expect(refusedPull.stderr).toMatch(/UNAUTHORIZED|401/);

    // Signature-only verification cannot know the pod is gone: the token still pulls...
    await pullAll(byJwks.host, `${NS}/app:v1`, podToken);
    // ...until its exp, checked by the same verifier against the same JWKS with the clock moved on.
    const exp = claimsOf(podToken).exp * 1000;
    let clock = Date.now();
    const verifier = await FederationVerifier.open(federationSchema.parse({
      issuers: [{ name: 'cluster', issuer: `${plane.server}/`, audiences: [AUDIENCE], type: 'kubernetes', caFile: plane.certs.caCert, tokenFile: registryTokenFile }],
    }), () => clock);
    expect((await verifier.authenticate(podToken)).subject).toBe(`system:serviceaccount:${NS}:puller`);
    clock = exp + 9_000; // within the 10 s skew
    expect((await verifier.authenticate(podToken)).audit).toMatchObject({ pod: 'web', podUID: uids.web });
    clock = exp + 11_000;
    await expect(verifier.authenticate(podToken)).rejects.toEqual(new InvalidTokenError('expired'));
  }, 120_000);

  test('a recreated ServiceAccount (new uid) is refused until the policy names it again', async () => {
    uids.web3 = await kube.pod(NS, 'web-3', 'puller', 'busybox');
    const oldToken = await kube.token(NS, 'puller', AUDIENCE, { name: 'web-3', uid: uids.web3 });
    expect((await login(byJwks, oldToken)).status).toBe(200);

    await kube.delete(NS, 'puller');
    const newUID = await kube.create(NS, 'puller');
    expect(newUID).not.toBe(uids.puller);
    // TokenReview refuses the old ServiceAccount's token at once.
    expect((await login(byReview, oldToken)).status).toBe(401);

    const podUID = await kube.pod(NS, 'web-4', 'puller', 'busybox');
    const newToken = await kube.token(NS, 'puller', AUDIENCE, { name: 'web-4', uid: podUID });
    expect(claimsOf(newToken)['kubernetes.io'].serviceaccount.uid).toBe(newUID);
    for (const reg of [byJwks, byReview]) {
      const t = await login(reg, newToken);
      expect(t.status).toBe(200);
      expect(claimsOf(t.body.token as string).access).toEqual([]); // authenticated, granted nothing
      const pull = await cranePull(reg.host, `${NS}/app:v1`, 'serviceaccount', newToken);
      expect(pull.code).not.toBe(0);
      expect(pull.stderr).toMatch(/DENIED|403/);
    }

    // Re-selected (what the operator does when it renders the new uid into the policy).
    for (const reg of [byJwks, byReview]) await reg.ws.writePolicy(policy(newUID));
    await sleep(1500);
    for (const reg of [byJwks, byReview]) await pullAll(reg.host, `${NS}/app:v1`, newToken);
    // The old ServiceAccount's token no longer matches: 403 with JWKS, 401 with TokenReview.
    const oldOnJwks = await fetch(`${byJwks.process.url}/v2/${NS}/app/manifests/v1`, { headers: { Authorization: `Bearer ${oldToken}` } });
    expect(oldOnJwks.status).toBe(403);
    expect((await login(byReview, oldToken)).status).toBe(401);
  }, 120_000);
});
