// A real Kubernetes control plane on loopback: etcd, kube-apiserver and
// (optionally) kube-controller-manager running the garbage-collector, namespace,
// serviceaccount and PVC-protection controllers, so ownerReference cleanup,
// namespace deletion, default ServiceAccounts and PVC deletion behave as in a
// cluster. No kubelet or scheduler: pods are never run, unless `node` is given
// (test/harness/node): then the apiserver serves the node's pods on the node's
// bridge address and the controller manager runs the workload controllers too.
import https from 'node:https';
import http from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../../operator/src/kube/client.js';
import { binary } from './binaries.js';
import { installCrds } from './crds.js';
import { makeCerts, type PlaneCerts } from './certs.js';
import { freePort } from './ports.js';
import { removeState, startProcess, stateDir, stopProcess, writeState, type ManagedProcess } from './processes.js';

export interface ControlPlaneOptions {
  /** Names the state file and temp dir; unique per plane. */
  name: string;
  controllerManager?: boolean;
  /** Install crds/*.yaml before the controller manager starts, so its garbage collector knows the kinds at once. */
  installCrds?: boolean;
  /** How long to wait for each component (2 cores: the apiserver takes a while). */
  startTimeoutMs?: number;
  /** Serve a real node's pods (see NodeServing). */
  node?: NodeServing;
}

/**
 * What a control plane needs to serve pods: the apiserver binds the node's bridge
 * address (pods cannot reach the host's loopback) and advertises it as the
 * `kubernetes` Service's endpoint, pods get ServiceAccount tokens, and the
 * controller manager also runs what Deployments, StatefulSets, DaemonSets, Jobs,
 * PVs and EndpointSlices need.
 */
export interface NodeServing {
  address: string;
  serviceCidr: string;
  /** The `kubernetes` Service's ClusterIP: pods verify the apiserver under it. */
  kubernetesServiceIp: string;
}

const BASE_CONTROLLERS = [
  'garbage-collector-controller', 'namespace-controller', 'serviceaccount-controller', 'root-ca-certificate-publisher-controller',
  'serviceaccount-token-controller', 'persistentvolumeclaim-protection-controller',
];
const NODE_CONTROLLERS = [
  'node-lifecycle-controller', 'deployment-controller', 'replicaset-controller', 'statefulset-controller', 'daemonset-controller',
  'job-controller', 'endpointslice-controller', 'persistentvolume-binder-controller', 'persistentvolume-protection-controller',
  'disruption-controller', 'pod-garbage-collector-controller',
];

export interface ControlPlane {
  name: string;
  dir: string;
  server: string;
  kubeconfig: string;
  certs: PlaneCerts;
  /** Seconds from start() to a serving apiserver (and controller manager, CRDs). */
  startSeconds: number;
  crds: string[];
  /** SIGTERM drains watches first (slow); SIGKILL simulates a crash. */
  stopApiServer(signal?: NodeJS.Signals): Promise<void>;
  startApiServer(): Promise<void>;
  /** Stops the controller manager only (a node's teardown: no pod is recreated while the node drains). */
  stopControllerManager(): Promise<void>;
  stop(opts?: { keepDir?: boolean }): Promise<void>;
  logs(): string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function httpGet(url: string, tls?: https.RequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { ...tls, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function waitUntil(what: string, p: ManagedProcess, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void p.exited.then(() => (exited = true)); // only sets a flag; `exited` never rejects
  let lastError = '';
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${what} exited during start-up; see ${p.logFile}:\n${tail(p.logFile)}`);
    try {
      if (await check()) return;
    } catch (err) {
      lastError = String(err);
    }
    await sleep(200);
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms (${lastError}); see ${p.logFile}:\n${tail(p.logFile)}`);
}

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function kubeConfigFrom(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

function kubeconfigYaml(server: string, certs: PlaneCerts): string {
  const b64 = (f: string) => readFileSync(f).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: berth-testbed\n  cluster:\n    server: ${server}\n    certificate-authority-data: ${b64(certs.caCert)}`,
    'users:',
    `- name: berth-admin\n  user:\n    client-certificate-data: ${b64(certs.adminCert)}\n    client-key-data: ${b64(certs.adminKey)}`,
    'contexts:',
    '- name: berth-testbed\n  context:\n    cluster: berth-testbed\n    user: berth-admin',
    'current-context: berth-testbed',
    '',
  ].join('\n');
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const started = Date.now();
  const timeoutMs = opts.startTimeoutMs ?? 90_000;
  mkdirSync(stateDir, { recursive: true });
  const dir = mkdtempSync(join(stateDir, `${opts.name}-`));
  // etcd on tmpfs when there is one: fsync-free and fast on a 2-core machine.
  const etcdDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : dir, `berth-etcd-${opts.name}-`));
  const node = opts.node;
  const certs = makeCerts(dir, node ? {
    ips: [node.address, node.kubernetesServiceIp],
    dns: ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
  } : {});
  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const apiAddress = node?.address ?? '127.0.0.1';
  const server = `https://${apiAddress}:${apiPort}`;
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeconfigYaml(server, certs));
  const processes: ManagedProcess[] = [];
  const tls: https.RequestOptions = { ca: readFileSync(certs.caCert), cert: readFileSync(certs.adminCert), key: readFileSync(certs.adminKey) };
  const record = () => writeState(opts.name, { ownerPid: process.pid, dir, processes: processes.map((p) => ({ pid: p.child.pid!, binary: p.binary })) });

  const etcd = startProcess('etcd', binary('etcd'), [
    `--data-dir=${etcdDir}`,
    `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
    `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ], join(dir, 'etcd.log'));
  processes.push(etcd);
  record();

  let crds: string[] = [];
  let apiserver: ManagedProcess | undefined;
  let kcm: ManagedProcess | undefined;
  const stopAll = async (keepDir = false) => {
    for (const p of [kcm, apiserver, etcd]) if (p) await stopProcess(p);
    removeState(opts.name);
    rmSync(etcdDir, { recursive: true, force: true });
    if (!keepDir) rmSync(dir, { recursive: true, force: true });
  };

  const startApiServer = async () => {
    apiserver = startProcess('kube-apiserver', binary('kube-apiserver'), [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      `--cert-dir=${dir}`,
      `--tls-cert-file=${certs.serverCert}`,
      `--tls-private-key-file=${certs.serverKey}`,
      `--client-ca-file=${certs.caCert}`,
      `--secure-port=${apiPort}`,
      `--bind-address=${apiAddress}`,
      `--advertise-address=${apiAddress}`,
      ...(node
        ? [
            `--service-cluster-ip-range=${node.serviceCidr}`,
            // The node is registered by its bridge address only (a loopback node IP is refused).
            '--kubelet-preferred-address-types=InternalIP',
            // Limits the kubelet to its own Node and pods, and (ServiceAccountNodeAudienceRestriction) to
            // token audiences RBAC grants it: what a registry's kubelet RBAC is for.
            '--enable-admission-plugins=NodeRestriction',
          ]
        : [
            // The kubernetes Service endpoint may not be loopback; nothing needs it here.
            '--endpoint-reconciler-type=none',
            '--service-cluster-ip-range=10.0.0.0/24',
            // No kubelet: pods never run, so the admission plugin that wants their ServiceAccount is moot.
            '--disable-admission-plugins=ServiceAccount',
          ]),
      '--allow-privileged=true',
      '--authorization-mode=RBAC',
      `--service-account-issuer=https://127.0.0.1:${apiPort}/`,
      `--service-account-key-file=${certs.saPub}`,
      `--service-account-signing-key-file=${certs.saKey}`,
      '--v=1',
    ], join(dir, 'kube-apiserver.log'));
    processes.push(apiserver);
    record();
    const a = apiserver;
    await waitUntil('kube-apiserver', a, timeoutMs, async () => (await httpGet(`${server}/readyz`, tls)).status === 200);
    await waitUntil('kube-apiserver', a, timeoutMs, async () => (await httpGet(`${server}/api/v1/namespaces/default`, tls)).status === 200);
  };

  try {
    await waitUntil('etcd', etcd, timeoutMs, async () => (await httpGet(`http://127.0.0.1:${etcdClient}/health`)).status === 200);
    await startApiServer();
    if (opts.installCrds) {
      const client = new KubeClient(kubeConfigFrom(kubeconfig));
      try {
        crds = await installCrds(client);
      } finally {
        client.close();
      }
    }
    if (opts.controllerManager) {
      kcm = startProcess('kube-controller-manager', binary('kube-controller-manager'), [
        `--kubeconfig=${kubeconfig}`,
        '--leader-elect=false',
        '--secure-port=0',
        `--controllers=${[...BASE_CONTROLLERS, ...(node ? NODE_CONTROLLERS : [])].join(',')}`,
        `--root-ca-file=${certs.caCert}`,
        `--service-account-private-key-file=${certs.saKey}`,
        // Small clusters, impatient tests: react quickly.
        '--concurrent-gc-syncs=10',
        '--v=1',
      ], join(dir, 'kube-controller-manager.log'));
      processes.push(kcm);
      record();
      // Ready once the serviceaccount controller has created "default" in the default namespace.
      const k = kcm;
      await waitUntil('kube-controller-manager', k, timeoutMs,
        async () => (await httpGet(`${server}/api/v1/namespaces/default/serviceaccounts/default`, tls)).status === 200);
    }
  } catch (err) {
    await stopAll(true);
    throw err;
  }

  return {
    name: opts.name,
    dir,
    server,
    kubeconfig,
    certs,
    startSeconds: (Date.now() - started) / 1000,
    crds,
    async stopApiServer(signal: NodeJS.Signals = 'SIGTERM') {
      if (apiserver) await stopProcess(apiserver, 20_000, signal);
    },
    startApiServer,
    async stopControllerManager() {
      if (kcm) await stopProcess(kcm);
    },
    stop: (o) => stopAll(o?.keepDir),
    logs: () => processes.map((p) => p.logFile),
  };
}

