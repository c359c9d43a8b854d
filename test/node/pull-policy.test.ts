// AccessPolicy.spec.pullPolicy on the real node: the pull secret the operator
// issues to a namespace carries the policy's requireSignature (a key the Registry
// trusts from a Secret), so the kubelet pulls an image signed with the real cosign
// and is refused an unsigned one, with the registry's reason in the pod's events.
// containerd resolves a tag with HEAD (no body) and reports a refusal by its status
// line only: the registry puts the reason in the reason phrase
// (registry/src/api/reason-phrase.ts). The pusher pushes and signs on the same
// repository. Everything is removed afterwards: the files after this one install
// the chart again.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../operator/src/kube/types.js';
import { CHART_DIR } from '../harness/helm-chart.js';
import { addLocalVolumes } from '../harness/node/volumes.js';
import { runOk } from '../harness/tools.js';
import { condition, REGISTRY_API, waitForStatus } from '../operator/support/registry.js';
import { connect, deletePodsNow, podEvents, waitFor, type Cluster } from './support/cluster.js';
import { awaitGrant, Crane, credentialFrom, endpointOf, send, type Credential, type RegistryEndpoint } from './support/registry-access.js';
import { pullAndRun } from './support/workloads.js';
import { figure, seconds } from './support/figures.js';
import { uninstallBerth } from './support/teardown.js';

const RELEASE = 'berth-pp';
const RELEASE_NS = 'berth-pp';
const NS = 'pp-registry';
const REG = 'gate';
const HOST = `${REG}.${NS}.svc:5000`;
const CI_NS = 'pp-ci';
const RUN_NS = 'pp-run';
const REPO = 'prod/app';
const POLICIES = ['pp-ci', 'pp-signed-only'];
const COSIGN_FLAGS = ['--allow-http-registry=true', '--allow-insecure-registry=true'];

let cluster: Cluster;
let keyDir: string;
let ep: RegistryEndpoint;
let runCred: Credential;
const digests: { signed?: string; unsigned?: string } = {};

beforeAll(async () => {
  cluster = connect();
  // The Registry claims a local volume (reclaim Retain): put one back for the files after this one.
  await addLocalVolumes(cluster.client, cluster.info.volumesDir, 1);
  for (const ns of [NS, CI_NS, RUN_NS]) await cluster.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  keyDir = mkdtempSync(join(tmpdir(), 'berth-pp-keys-'));
  await runOk('cosign', ['generate-key-pair'], { env: { HOME: keyDir, COSIGN_PASSWORD: '' }, cwd: keyDir });
}, 60_000);

afterAll(async () => {
  if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  if (!cluster) return;
  await deletePodsNow(cluster.client, RUN_NS, ['signed', 'unsigned']);
  await uninstallBerth(cluster, {
    namespace: NS, registry: REG, policies: POLICIES, release: RELEASE, releaseNamespace: RELEASE_NS, namespaces: [RUN_NS, CI_NS, NS, RELEASE_NS],
  });
  cluster.close();
}, 5 * 60_000);

describe('a namespace whose pull secret requires signed images, on the real node', () => {
  it('the chart\'s operator runs a Registry that trusts a cosign key from a Secret', async () => {
    const t0 = Date.now();
    // Pull secrets switch over after the propagation delay (default 120 s).
    await cluster.helmOk(['install', RELEASE, CHART_DIR, '-n', RELEASE_NS, '--create-namespace', '--wait', '--timeout', '5m', '--set', 'operator.policyPropagationDelaySeconds=5']);
    await cluster.client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'release-key', namespace: NS }, type: 'Opaque',
      data: { 'cosign.pub': readFileSync(join(keyDir, 'cosign.pub')).toString('base64') } });
    await cluster.client.create({
      apiVersion: REGISTRY_API, kind: 'Registry', metadata: { name: REG, namespace: NS },
      spec: { storage: { filesystem: { persistentVolumeClaim: { size: '20Gi' } } }, security: { trust: { keys: [{ name: 'release', secretRef: { name: 'release-key' } }] } } },
    });
    await waitForStatus(cluster.client, NS, REG, 'Ready', (r) => condition(r, 'Ready')?.status === 'True', 5 * 60_000);
    figure('helm install + Registry with a trusted key Ready', `${seconds(t0)} s`);
    ep = await endpointOf(cluster.client, NS, REG);
  }, 6 * 60_000);

  it('the pusher pushes a signed and an unsigned image, signs with cosign, and still pulls the unsigned one', async () => {
    const c = cluster.client;
    const policy = (name: string, namespace: string, spec: Record<string, unknown>) => c.create({
      apiVersion: REGISTRY_API, kind: 'AccessPolicy', metadata: { name, namespace: NS },
      spec: { registryRef: { name: REG }, namespaces: { names: [namespace] }, repositories: ['prod/**'], ...spec },
    });
    await policy(POLICIES[0], CI_NS, { actions: ['pull', 'push'], secretName: 'berth-push-secret' });
    // serviceAccounts: the Secret goes into the default ServiceAccount's imagePullSecrets, so pods need no change.
    await policy(POLICIES[1], RUN_NS, { actions: ['pull'], serviceAccounts: ['default'], pullPolicy: { requireSignature: { keys: ['release'] } } });

    const cred = await waitFor('the push secret', () => credentialFrom(c, CI_NS, 'berth-push-secret', HOST).catch(() => undefined), 120_000, 500);
    const crane = await Crane.login(ep, cred);
    try {
      // Until the kubelet delivers the policy Secret to the registry pod, the robot is unknown (401).
      await awaitGrant(ep, cred, `repository:${REPO}:pull,push`, (actions) => actions.includes('push'));
      digests.signed = await waitFor('a push with the CI credential', () => crane.push(cluster.info.images.busybox.archive, `${REPO}:signed`), 60_000, 2000);
      // The same image with one more label: another digest, never signed.
      digests.unsigned = await crane.labelled(`${REPO}:signed`, 'dev.berth.test=unsigned', `${REPO}:unsigned`);
      expect(digests.unsigned).not.toBe(digests.signed);
      await runOk('cosign', ['sign', '--key', join(keyDir, 'cosign.key'), '--tlog-upload=false', '-y', ...COSIGN_FLAGS, `${ep.host}/${REPO}@${digests.signed}`],
        { env: { ...crane.env(), HOME: keyDir, COSIGN_PASSWORD: '', SIGSTORE_NO_CACHE: '1', TUF_ROOT: join(keyDir, 'tuf') }, timeoutMs: 60_000 });
      // The pusher may push to the repository: no pull policy applies to it.
      expect((await crane.pull(`${REPO}:unsigned`)).code).toBe(0);
    } finally {
      crane.close();
    }
  }, 5 * 60_000);

  it('the registry refuses the namespace\'s credential the unsigned image: 403 DENIED, the reason in the body and the status line', async () => {
    const c = cluster.client;
    runCred = await waitFor('the pull secret', () => credentialFrom(c, RUN_NS, 'berth-pull-secret', HOST).catch(() => undefined), 120_000, 500);
    // Pods get it from the namespace's default ServiceAccount, when they are created.
    await waitFor('the default ServiceAccount with the pull secret', async () => {
      const sa = await c.getOptional<KubeObject & { imagePullSecrets?: Array<{ name: string }> }>('v1', 'ServiceAccount', 'default', RUN_NS);
      return sa?.imagePullSecrets?.some((s) => s.name === 'berth-pull-secret') || undefined;
    }, 60_000, 250);
    // The grant reaches the registry with the policy Secret: ask for it until it is there.
    const jwt = await awaitGrant(ep, runCred, `repository:${REPO}:pull`, (actions) => actions.includes('pull'));
    const headers = { authorization: `Bearer ${jwt}`, accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' };
    const get = await send(ep, 'GET', `/v2/${REPO}/manifests/unsigned`, { headers });
    expect(get.status).toBe(403);
    const error = (JSON.parse(get.body.toString()) as { errors: Array<{ code: string; message: string; detail: { policy: string; reason: string } }> }).errors[0];
    expect(error).toMatchObject({ code: 'DENIED', detail: { policy: 'requireSignature', reason: `requires a signature by release: ${digests.unsigned} is not signed` } });
    const head = await send(ep, 'HEAD', `/v2/${REPO}/manifests/unsigned`, { headers });
    expect(head.status).toBe(403);
    expect(head.statusMessage).toBe(`Forbidden: ${error.message}`);
    expect((await send(ep, 'HEAD', `/v2/${REPO}/manifests/signed`, { headers })).status).toBe(200);
  }, 4 * 60_000);

  it('a pod in the namespace runs the signed image; one with the unsigned image gets ErrImagePull with the registry\'s reason in its events', async () => {
    const c = cluster.client;
    const signed = await pullAndRun(c, RUN_NS, 'signed', `${HOST}/${REPO}:signed`, 120_000);
    if (!signed.ok) throw new Error(`the signed image was not pulled: ${signed.reason}: ${signed.message}`);
    figure('pod with the signed image: created → pulled (signature verified) and ran', `${signed.seconds.toFixed(1)} s`);

    const since = Date.now();
    const unsigned = await pullAndRun(c, RUN_NS, 'unsigned', `${HOST}/${REPO}:unsigned`, 120_000);
    expect(unsigned).toMatchObject({ ok: false, reason: expect.stringMatching(/^(ErrImagePull|ImagePullBackOff)$/) });
    // The kubelet posts the event beside the status: wait for it, briefly.
    const failed = await waitFor('the pull\'s Failed event', async () => (await podEvents(c, RUN_NS, 'unsigned')).find((e) => e.reason === 'Failed' && e.message.startsWith('Failed to pull image')), 30_000, 250);
    const event = failed.message;
    expect(event).toContain('403 Forbidden: pull of prod/app@');
    expect(event).toContain(`refused by requireSignature (credential rule accesspolicy/${NS}/${POLICIES[1]})`);
    expect(event).toContain(`requires a signature by release: ${digests.unsigned} is not signed`);
    figure(`pod with the unsigned image: ${failed.type} ${failed.reason} event`, event);
    // The registry's own decision, for this digest.
    const log = await cluster.kubectl(['-n', NS, 'logs', `deploy/${REG}`, '--since-time', new Date(since - 1000).toISOString()]);
    const refusals = log.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg?: string; policy?: string; digest?: string })
      .filter((l) => l.msg === 'pull refused');
    expect(refusals.length).toBeGreaterThan(0);
    expect(new Set(refusals.map((l) => `${l.policy} ${l.digest}`))).toEqual(new Set([`requireSignature ${digests.unsigned}`]));
  }, 5 * 60_000);
});
