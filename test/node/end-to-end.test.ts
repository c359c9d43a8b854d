// Berth on a real node, end to end: the chart, the operator and the registries
// run as pods from the images scripts/images/build.sh made, and workloads pull
// through the kubelet. The README's quick start runs first, verbatim; the steps
// after it build on what it installed (release berth in berth-system, Registry
// main in namespace registry, the team-a AccessPolicies). The steps keep the
// issue's numbers; 8a (the operator upgrade, which also shortens the policy
// propagation delay) runs before 3 so the later policies need not wait the
// chart's default two minutes. Every load is bounded in count and time; the
// figures go to the log, never into assertions on speed.
import { X509Certificate } from 'node:crypto';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import yaml from 'js-yaml';
import type { KubeObject } from '../../operator/src/kube/types.js';
import { ROTATE_ANNOTATION } from '../../operator/src/controllers/access-policy/names.js';
import { CONFIG_HASH_ANNOTATION } from '../../operator/src/controllers/registry/names.js';
import { EXAMPLES_DIR, CHART_DIR } from '../harness/helm-chart.js';
import { ctrSync } from '../harness/node/containerd.js';
import { getRaw } from '../harness/node/raw-kinds.js';
import { binDir } from '../harness/control-plane/binaries.js';
import { condition, REGISTRY_API, waitForStatus } from '../operator/support/registry.js';
import { connect, getPod, isReady, pods, waitFor, waitForReadyPods, type Cluster } from './support/cluster.js';
import { runQuickStart } from './support/readme.js';
import { Crane, credentialFrom, endpointOf, pullLoop, send, token, type RegistryEndpoint } from './support/registry-access.js';
import { podChurn, pullAndRun, sampleRollout, type PullOutcome } from './support/workloads.js';
import { figure, seconds } from './support/figures.js';

const NS = 'registry';
const RELEASE_NS = 'berth-system';
const MAIN = 'main.registry.svc:5000';
const HA = 'ha.registry.svc:5000';
const APP = 'team-a/app:v1';

let cluster: Cluster;

beforeAll(() => {
  cluster = connect();
});
afterAll(() => cluster?.close());

type Any = Record<string, any>;
const operatorPods = async () => (await pods(cluster.client, RELEASE_NS, 'app.kubernetes.io/component=operator')).filter((p) => !p.metadata.deletionTimestamp);
const lease = async () => (await cluster.client.get<KubeObject & { spec: { holderIdentity?: string } }>('coordination.k8s.io/v1', 'Lease', 'berth-operator', RELEASE_NS)).spec.holderIdentity;
/** Seconds the pull and run took; fails with the kubelet's message when the pull failed. */
function pulled(outcome: PullOutcome): number {
  if (!outcome.ok) throw new Error(`the kubelet could not pull: ${outcome.reason}: ${outcome.message}`);
  return outcome.seconds;
}
const example = (file: string) => yaml.load(readFileSync(join(EXAMPLES_DIR, file), 'utf8')) as KubeObject & { spec: Any };

describe('the README quick start, verbatim', () => {
  it('installs the chart and a Registry, syncs the team\'s credentials, pushes, and a workload pulls through the kubelet', async () => {
    const run = await runQuickStart({ kubeconfig: cluster.info.kubeconfig, binDir, appImage: cluster.info.images.busybox.archive, timeoutMs: 9 * 60_000 });
    if (run.code !== 0) throw new Error(`the quick start failed (exit ${run.code}) after ${run.seconds} s:\n${run.output.slice(-6000)}`);
    figure('README quick start', `${run.seconds.toFixed(1)} s`);
    const hello = await getPod(cluster.client, 'team-a-web', 'hello');
    expect(hello.spec.containers[0].image).toBe(`${MAIN}/${APP}`);
    expect(isReady(hello)).toBe(true);
  }, 10 * 60_000);
});

describe('1. helm install: the operator runs as a pod', () => {
  it('is Running and Ready through its probes, holds the leader Lease, and serves metrics from the pod', async () => {
    const [pod] = await operatorPods();
    expect(pod.status?.phase).toBe('Running');
    expect(isReady(pod)).toBe(true);
    expect(pod.spec.containers[0].image).toBe(cluster.info.images.operator.names[1]); // the chart's default
    expect(await lease()).toBe(pod.metadata.name);
    const metrics = await (await fetch(`http://${pod.status!.podIP}:8081/metrics`)).text();
    expect(metrics).toMatch(/^berth_operator_leader 1$/m);
    expect(metrics).toMatch(/^berth_operator_reconcile_total\{controller="registry".*\} [1-9]/m);
  });
});

describe('2. kubectl apply of each example Registry', () => {
  it('registry-filesystem.yaml: the registry pod runs on its bound PVC, Ready from real pod status', async () => {
    const reg = await waitForStatus(cluster.client, NS, 'main', 'Ready', (r) => condition(r, 'Ready')?.status === 'True');
    expect(condition(reg, 'Ready')?.reason).toBe('Available');
    expect(condition(reg, 'StorageReady')?.reason).toBe('VolumeClaimBound');
    const pvc = await cluster.client.get<KubeObject & { spec: Any; status: Any }>('v1', 'PersistentVolumeClaim', 'main-data', NS);
    expect(pvc.status.phase).toBe('Bound');
    const [pod] = await waitForReadyPods(cluster.client, NS, 'app.kubernetes.io/name=berth-registry,app.kubernetes.io/instance=main', 1);
    const spec = pod.spec as Any;
    expect(spec.volumes.find((v: Any) => v.name === 'data').persistentVolumeClaim.claimName).toBe('main-data');
    expect(spec.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
    expect(pod.status!.containerStatuses![0].restartCount).toBe(0);
  });

  it('registry-ha-minio.yaml: MinIO and PostgreSQL run as StatefulSets, the bucket Job completes, 3 replicas serve TLS', async () => {
    const t0 = Date.now();
    const ha = example('registry-ha-minio.yaml');
    // The images built here, through the CRD's image fields.
    ha.spec.image = cluster.info.images.registry.ref;
    ha.spec.storage.minio.image = cluster.info.images.minio.ref;
    ha.spec.storage.minio.clientImage = cluster.info.images.mc.ref;
    ha.spec.metadata.managed.image = cluster.info.images.postgres.ref;
    await cluster.kubectl(['apply', '-n', NS, '-f', '-'], { input: JSON.stringify(ha) });
    const reg = await waitForStatus(cluster.client, NS, 'ha', 'Ready with 3 replicas', (r) => condition(r, 'Ready')?.status === 'True' && r.status?.readyReplicas === 3, 6 * 60_000);
    figure('registry-ha-minio.yaml apply → Ready=True (3 replicas, MinIO, bucket Job, PostgreSQL)', `${seconds(t0)} s`);
    expect(condition(reg, 'StorageReady')?.reason).toBe('MinioReady');
    for (const name of ['ha-minio', 'ha-postgres']) {
      const sts = await cluster.client.get<KubeObject & { status: Any }>('apps/v1', 'StatefulSet', name, NS);
      expect(sts.status.readyReplicas).toBe(1);
    }
    const jobs = (await cluster.client.list<KubeObject & { status: Any }>('batch/v1', 'Job', { namespace: NS })).items.filter((j) => j.metadata.name.startsWith('ha-minio-bucket-'));
    expect(jobs.map((j) => j.status.succeeded)).toEqual([1]);
    const ep = await endpointOf(cluster.client, NS, 'ha');
    const cert = new X509Certificate(ep.caPem!);
    expect(cert.checkHost('ha.registry.svc')).toBe('ha.registry.svc');
    expect(cert.checkIP(ep.host.split(':')[0])).toBe(ep.host.split(':')[0]); // nodes dial the ClusterIP
    const challenge = await send(ep, 'GET', '/v2/'); // TLS verified against the Registry's CA
    expect(challenge.status).toBe(401);
  }, 7 * 60_000);
});

describe('8a. helm upgrade to a new operator image', () => {
  it('rolls the operator, the new pod takes the Lease, and changes made during the roll are reconciled', async () => {
    const before = (await operatorPods()).map((p) => p.metadata.name);
    const [repository, tag] = cluster.info.images.operator.ref.split(/:(?=[^:]+$)/);
    const t0 = Date.now();
    // A shorter propagation delay as well, for the rotation below (the default waits 2 minutes).
    await cluster.helmOk(['upgrade', 'berth', CHART_DIR, '-n', RELEASE_NS, '--reuse-values',
      '--set', `image.repository=${repository}`, '--set', `image.tag=${tag}`, '--set', 'operator.policyPropagationDelaySeconds=20']);
    // While the operator rolls: a new team namespace, and a Registry spec change.
    await cluster.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a-api', labels: { team: 'team-a' } } });
    const patched = await cluster.client.request<KubeObject>('PATCH', `/apis/${REGISTRY_API}/namespaces/${NS}/registries/main`, {
      body: { spec: { gc: { interval: '6h' } } }, contentType: 'application/merge-patch+json',
    });
    await cluster.kubectl(['-n', RELEASE_NS, 'rollout', 'status', 'deployment/berth-operator', '--timeout=180s'], { timeoutMs: 200_000 });
    const [pod] = await operatorPods();
    figure('helm upgrade → new operator pod Ready', `${seconds(t0)} s`);
    expect(before).not.toContain(pod.metadata.name);
    expect(pod.spec.containers[0].image).toBe(cluster.info.images.operator.ref);
    await waitFor('the new pod to hold the Lease', async () => (await lease()) === pod.metadata.name);
    await waitFor('a pull secret in the namespace created during the roll', () => cluster.client.getOptional('v1', 'Secret', 'berth-pull-secret', 'team-a-api'), 60_000);
    await waitForStatus(cluster.client, NS, 'main', 'the spec change made during the roll', (r) => r.status?.observedGeneration === patched.metadata.generation && condition(r, 'Ready')?.status === 'True', 120_000);
  }, 5 * 60_000);
});

describe('3. a push with the synced push secret, through the Service', () => {
  it('crane pushes to each registry\'s ClusterIP with the CI credentials', async () => {
    // The team's policies for the HA registry too: pull for team=team-a, push for CI.
    for (const p of yaml.loadAll(readFileSync(join(EXAMPLES_DIR, 'access-policy-team.yaml'), 'utf8')) as Array<KubeObject & { spec: Any }>) {
      await cluster.kubectl(['apply', '-n', NS, '-f', '-'], { input: JSON.stringify({ ...p, metadata: { name: `ha-${p.metadata.name}` }, spec: { ...p.spec, registryRef: { name: 'ha' }, secretName: `ha-${p.spec.secretName}` } }) });
    }
    await cluster.kubectl(['-n', NS, 'wait', 'accesspolicy', '--all', '--for=condition=Ready', '--timeout=180s'], { timeoutMs: 190_000 });
    for (const [name, host, secret] of [['main', MAIN, 'berth-push-secret'], ['ha', HA, 'ha-berth-push-secret']] as const) {
      const crane = await Crane.login(await endpointOf(cluster.client, NS, name), await credentialFrom(cluster.client, 'team-a-ci', secret, host));
      try {
        const t0 = Date.now();
        await crane.push(cluster.info.images.busybox.archive, APP);
        figure(`crane push of busybox (${(cluster.info.images.busybox.compressedBytes / 1e6).toFixed(1)} MB) to ${name} through its ClusterIP`, `${seconds(t0)} s`);
        expect((await crane.pull(APP)).code).toBe(0);
      } finally {
        crane.close();
      }
    }
  });
});

describe('2-3. the filesystem registry\'s metadata index', () => {
  it('is SQLite on the registry\'s volume, written by the pod (read-only root filesystem) and answering for the push', async () => {
    const pvc = await cluster.client.get<KubeObject & { spec: { volumeName: string } }>('v1', 'PersistentVolumeClaim', 'main-data', NS);
    const pv = await getRaw<KubeObject & { spec: { local: { path: string } } }>(cluster.client, 'PersistentVolume', pvc.spec.volumeName);
    const file = join(pv.spec.local.path, '_metadata', 'index.db');
    const ep = await endpointOf(cluster.client, NS, 'main');
    const cred = await credentialFrom(cluster.client, 'team-a-ci', 'berth-push-secret', MAIN);
    const auth = { authorization: `Bearer ${await token(ep, cred, 'repository:team-a/app:pull')}` };
    const head = await send(ep, 'HEAD', '/v2/team-a/app/manifests/v1', { headers: { ...auth, accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } });
    expect(head.status).toBe(200);
    const tags = await send(ep, 'GET', '/v2/team-a/app/tags/list', { headers: auth });
    expect((JSON.parse(tags.body.toString()) as { tags: string[] }).tags).toContain('v1');
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare('SELECT digest FROM tags WHERE repo = ? AND tag = ?').get('team-a/app', 'v1') as { digest: string } | undefined;
      expect(row?.digest).toBe(head.headers['docker-content-digest']);
    } finally {
      db.close();
    }
  });
});

describe('4. the kubelet pulls', () => {
  it('a pod in a selected namespace pulls by the Service name with the synced secret and runs', async () => {
    const fromMain = pulled(await pullAndRun(cluster.client, 'team-a-web', 'pull-main', `${MAIN}/${APP}`));
    // The HA registry serves TLS with its own CA: the node trusts it through node access.
    await waitFor('team-a-web ServiceAccount with the HA pull secret', async () => {
      const sa = await cluster.client.get<KubeObject & { imagePullSecrets?: Array<{ name: string }> }>('v1', 'ServiceAccount', 'default', 'team-a-web');
      return (sa.imagePullSecrets ?? []).some((s) => s.name === 'ha-berth-pull-secret');
    });
    const fromHa = pulled(await pullAndRun(cluster.client, 'team-a-web', 'pull-ha', `${HA}/${APP}`));
    figure('kubelet pull + run (imagePullPolicy Always), filesystem / HA over TLS', `${fromMain.toFixed(1)} s / ${fromHa.toFixed(1)} s`);
  });

  it('a pod in a namespace no AccessPolicy selects gets ErrImagePull with 401', async () => {
    await cluster.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-b' } });
    await waitFor('team-b default ServiceAccount', () => cluster.client.getOptional('v1', 'ServiceAccount', 'default', 'team-b'));
    const since = Date.now();
    const outcome = await pullAndRun(cluster.client, 'team-b', 'denied', `${MAIN}/${APP}`);
    expect(outcome).toMatchObject({ ok: false, reason: expect.stringMatching(/ErrImagePull|ImagePullBackOff/) });
    // containerd words the registry's 401 (an anonymous token grants nothing) as "pull access denied".
    expect((outcome as { message: string }).message).toMatch(/pull access denied|401 Unauthorized/);
    const log = await cluster.kubectl(['-n', NS, 'logs', 'deploy/main', '--since-time', new Date(since - 1000).toISOString()]);
    const answers = log.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { path?: string; status?: number })
      .filter((l) => l.path === '/v2/team-a/app/manifests/v1').map((l) => l.status);
    expect(answers.length).toBeGreaterThan(0);
    expect(new Set(answers)).toEqual(new Set([401]));
  });
});

describe('4b. a new grant reaches every registry replica', () => {
  it('a namespace the team policy selects: its credential works on each of the 3 HA replicas, by pod IP', async () => {
    const haPods = (await pods(cluster.client, NS, 'app.kubernetes.io/name=berth-registry,app.kubernetes.io/instance=ha')).filter((p) => !p.metadata.deletionTimestamp && isReady(p));
    expect(haPods).toHaveLength(3);
    const service = await endpointOf(cluster.client, NS, 'ha');
    const t0 = Date.now();
    await cluster.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-c', labels: { team: 'team-a' } } });
    const cred = await waitFor('the HA pull secret in team-c', async () => {
      const s = await cluster.client.getOptional('v1', 'Secret', 'ha-berth-pull-secret', 'team-c');
      return s ? credentialFrom(cluster.client, 'team-c', 'ha-berth-pull-secret', HA) : undefined;
    }, 60_000, 100);
    const secretAt = Date.now() - t0;
    // Each replica on its own (the Service would spread the polls): a token that grants the pull.
    const accepted = await Promise.all(haPods.map(async (pod) => {
      const ep: RegistryEndpoint = { ...service, host: `${pod.status!.podIP}:5000`, url: `https://${pod.status!.podIP}:5000`, serverName: `ha.${NS}.svc` };
      await waitFor(`${pod.metadata.name} grants team-c`, async () => {
        const jwt = await token(ep, cred, 'repository:team-a/app:pull').catch(() => undefined); // 401 until the replica knows the robot
        const claims = jwt ? JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as { access?: Array<{ actions: string[] }> } : {};
        return claims.access?.[0]?.actions.includes('pull') === true;
      }, 120_000, 100);
      return Date.now() - t0;
    }));
    figure('new namespace → its pull secret / every HA replica grants it (pods annotated, kubelet re-reads the policy Secret)',
      `${(secretAt / 1000).toFixed(1)} s / ${(Math.max(...accepted) / 1000).toFixed(1)} s (replicas ${accepted.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s)`);
    const annotated = await pods(cluster.client, NS, 'app.kubernetes.io/name=berth-registry,app.kubernetes.io/instance=ha');
    expect(annotated.filter((p) => !p.metadata.deletionTimestamp).every((p) => /^[0-9a-f]{16}$/.test(p.metadata.annotations?.['berth.dev/policy-revision'] ?? ''))).toBe(true);
  });
});

describe('5. how the node reaches the registry: node access, on by default', () => {
  it('each Registry\'s DaemonSet installed hosts.toml (and the CA with TLS) under every Service name', async () => {
    for (const name of ['main', 'ha']) {
      const ds = await cluster.client.get<KubeObject & { status: Any }>('apps/v1', 'DaemonSet', `${name}-node-access`, NS);
      expect(ds.status).toMatchObject({ desiredNumberScheduled: 1, numberReady: 1 });
    }
    const mainIp = (await endpointOf(cluster.client, NS, 'main')).host;
    for (const host of [MAIN, 'main.registry.svc.cluster.local:5000', 'main.registry:5000']) {
      expect(readFileSync(join(cluster.info.certsDir, host, 'hosts.toml'), 'utf8')).toContain(`server = "http://${mainIp}"`);
    }
    const ha = await endpointOf(cluster.client, NS, 'ha');
    expect(readFileSync(join(cluster.info.certsDir, HA, 'hosts.toml'), 'utf8')).toContain(`server = "https://${ha.host}"`);
    expect(readFileSync(join(cluster.info.certsDir, HA, 'ca.crt'), 'utf8')).toBe(ha.caPem);
  });

  it('a workload pulls by the short Service name too', async () => {
    pulled(await pullAndRun(cluster.client, 'team-a-web', 'pull-short', `main.registry:5000/${APP}`));
  });
});

describe('6. rotation under the kubelet', () => {
  it('while a pod is created every second in a selected namespace, a rotation gives 0 ErrImagePull', async () => {
    const host = MAIN;
    const before = await credentialFrom(cluster.client, 'team-a-web', 'berth-pull-secret', host);
    await cluster.kubectl(['-n', NS, 'annotate', 'accesspolicy', 'team-a-pull', `${ROTATE_ANNOTATION}=${Date.now()}`, '--overwrite']);
    let switchedAt = 0;
    let afterSwitch = 0;
    const t0 = Date.now();
    const result = await podChurn(cluster.client, 'team-a-web', `${host}/${APP}`, async () => {
      if (!switchedAt) {
        const now = await credentialFrom(cluster.client, 'team-a-web', 'berth-pull-secret', host);
        if (now.password !== before.password) switchedAt = Date.now();
        return false;
      }
      // Keep going for 15 pods after the switch: those pull with the new credential.
      return ++afterSwitch >= 15;
    }, { max: 90 });
    figure('rotation under the kubelet', `${result.created} pods in ${seconds(t0)} s, credential switched after ${switchedAt ? ((switchedAt - t0) / 1000).toFixed(1) : '—'} s, ${result.succeeded} pulled and ran, ${result.pullErrors.length} ErrImagePull`);
    expect(switchedAt).toBeGreaterThan(0);
    expect(result.pullErrors).toEqual([]);
    expect(result.unfinished).toEqual([]);
    expect(result.succeeded).toBe(result.created);
  }, 6 * 60_000);
});

describe('7. faults', () => {
  it('kubectl delete pod of a registry replica during a pull loop: 0 failed pulls with 3 replicas', async () => {
    const ep = await endpointOf(cluster.client, NS, 'ha');
    const crane = await Crane.login(ep, await credentialFrom(cluster.client, 'team-a-web', 'ha-berth-pull-secret', HA));
    try {
      const loop = pullLoop(crane, APP);
      await new Promise((r) => setTimeout(r, 3000));
      const [victim] = await pods(cluster.client, NS, 'app.kubernetes.io/name=berth-registry,app.kubernetes.io/instance=ha');
      await cluster.kubectl(['-n', NS, 'delete', 'pod', victim.metadata.name, '--wait=true', '--timeout=90s'], { timeoutMs: 100_000 });
      await waitForReadyPods(cluster.client, NS, 'app.kubernetes.io/name=berth-registry,app.kubernetes.io/instance=ha', 3);
      await new Promise((r) => setTimeout(r, 2000));
      const { pulls, failures } = await loop.stop();
      figure('pull loop across a replica deletion', `${pulls} pulls, ${failures.length} failed`);
      expect(pulls).toBeGreaterThan(5);
      expect(failures).toEqual([]);
    } finally {
      crane.close();
    }
  }, 4 * 60_000);

  it('kill -9 of the single filesystem replica mid-push: the kubelet restarts it and the push resumes', async () => {
    const ep = await endpointOf(cluster.client, NS, 'main');
    const cred = await credentialFrom(cluster.client, 'team-a-ci', 'berth-push-secret', MAIN);
    const auth = { authorization: `Bearer ${await token(ep, cred, 'repository:team-a/resume:pull,push')}` };
    const body = randomBytes(3 << 20);
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const start = await send(ep, 'POST', '/v2/team-a/resume/blobs/uploads/', { headers: auth });
    expect(start.status).toBe(202);
    const location = String(start.headers.location);
    const first = await send(ep, 'PATCH', location, { headers: { ...auth, 'content-type': 'application/octet-stream', 'content-range': `0-${(1 << 20) - 1}` }, body: body.subarray(0, 1 << 20) });
    expect(first.status).toBe(202);

    const [pod] = await pods(cluster.client, NS, 'app.kubernetes.io/name=berth-registry,app.kubernetes.io/instance=main');
    const containerId = pod.status!.containerStatuses![0].containerID!.replace(/^containerd:\/\//, '');
    // The registry process: the container's task, as containerd lists it (TASK PID STATUS).
    const task = ctrSync(cluster.info.containerdSocket, ['tasks', 'ls']).split('\n').map((l) => l.trim().split(/\s+/)).find(([id]) => id === containerId);
    const pid = Number(task?.[1]);
    expect(pid).toBeGreaterThan(1);
    const t0 = Date.now();
    process.kill(pid, 'SIGKILL');
    const [restarted] = await waitFor('the registry container restarted and Ready', async () => {
      const list = await pods(cluster.client, NS, 'app.kubernetes.io/name=berth-registry,app.kubernetes.io/instance=main');
      return list.length === 1 && list[0].metadata.name === pod.metadata.name && list[0].status!.containerStatuses![0].restartCount === 1 && isReady(list[0]) ? list : undefined;
    }, 120_000, 250);
    figure('kill -9 → kubelet restart → Ready', `${seconds(t0)} s (restartCount ${restarted.status!.containerStatuses![0].restartCount})`);
    // Ready in the API comes before kube-proxy routes the Service to the pod again (the EndpointSlice,
    // then an iptables sync): until then a connection is refused, and a client retries, as this one does.
    await waitFor('the Service routes to the restarted pod', async () => (await send(ep, 'GET', '/v2/').then(() => true, () => false)) || undefined, 30_000, 250);
    figure('kill -9 → the Service answers again', `${seconds(t0)} s`);

    const status = await send(ep, 'GET', location, { headers: auth });
    expect(status.status).toBe(204);
    expect(status.headers.range).toBe(`0-${(1 << 20) - 1}`);
    const second = await send(ep, 'PATCH', location, { headers: { ...auth, 'content-type': 'application/octet-stream', 'content-range': `${1 << 20}-${(2 << 20) - 1}` }, body: body.subarray(1 << 20, 2 << 20) });
    expect(second.status).toBe(202);
    const sep = location.includes('?') ? '&' : '?';
    const done = await send(ep, 'PUT', `${location}${sep}digest=${digest}`, { headers: { ...auth, 'content-type': 'application/octet-stream' }, body: body.subarray(2 << 20) });
    expect(done.status).toBe(201);
    const got = await send(ep, 'GET', `/v2/team-a/resume/blobs/${digest}`, { headers: auth });
    expect(createHash('sha256').update(got.body).digest('hex')).toBe(digest.slice(7));
  }, 4 * 60_000);
});

describe('8b. a Registry spec change rolls the registry pods', () => {
  it('one at a time, with 0 failed pulls from a pull loop', async () => {
    const ep: RegistryEndpoint = await endpointOf(cluster.client, NS, 'ha');
    const crane = await Crane.login(ep, await credentialFrom(cluster.client, 'team-a-web', 'ha-berth-pull-secret', HA));
    const selector = 'app.kubernetes.io/name=berth-registry,app.kubernetes.io/instance=ha';
    try {
      const oldHash = (await pods(cluster.client, NS, selector))[0].metadata.annotations?.[CONFIG_HASH_ANNOTATION];
      const loop = pullLoop(crane, APP);
      const sampler = sampleRollout(cluster.client, NS, selector, CONFIG_HASH_ANNOTATION);
      const t0 = Date.now();
      await cluster.client.request('PATCH', `/apis/${REGISTRY_API}/namespaces/${NS}/registries/ha`, { body: { spec: { logLevel: 'debug' } }, contentType: 'application/merge-patch+json' });
      const rolled = await waitFor('3 ready pods with the new config', async () => {
        const list = (await pods(cluster.client, NS, selector)).filter((p) => !p.metadata.deletionTimestamp);
        const hashes = new Set(list.map((p) => p.metadata.annotations?.[CONFIG_HASH_ANNOTATION]));
        return list.length === 3 && list.every(isReady) && hashes.size === 1 && !hashes.has(oldHash) ? list : undefined;
      }, 5 * 60_000, 500);
      figure('Registry spec change → 3 replicas rolled', `${seconds(t0)} s`);
      await waitForStatus(cluster.client, NS, 'ha', 'rolled out', (r) => condition(r, 'Progressing')?.status === 'False' && condition(r, 'Ready')?.status === 'True');
      const samples = await sampler.stop();
      const { pulls, failures } = await loop.stop();
      figure('pull loop across the rollout', `${pulls} pulls, ${failures.length} failed; ${samples.length} samples, fewest ready ${Math.min(...samples.map((s) => s.ready))}, most pods ${Math.max(...samples.map((s) => s.running))}`);
      expect(rolled).toHaveLength(3);
      // maxSurge 1, maxUnavailable 0: never fewer than 3 ready, never more than one extra pod.
      expect(Math.min(...samples.map((s) => s.ready))).toBeGreaterThanOrEqual(3);
      expect(Math.max(...samples.map((s) => s.running))).toBeLessThanOrEqual(4);
      expect(failures).toEqual([]);
      expect(pulls).toBeGreaterThan(5);
    } finally {
      crane.close();
    }
  }, 7 * 60_000);
});
