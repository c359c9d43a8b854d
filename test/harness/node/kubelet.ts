// The kubelet of the node and its identity: a client certificate in
// system:nodes signed by the control plane's CA, bound to the system:node role
// (the apiserver runs RBAC only, without the Node authorizer). Its settings are
// the ones this kind of machine needs: cgroup v1 with cgroupfs, no swap check,
// the bridge address as node IP and listen address (a loopback node IP is
// refused), the Berth credential provider for ServiceAccount-token pulls, and short sync periods so Secret and ConfigMap volumes update fast.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, type ManagedProcess } from '../control-plane/processes.js';
import type { NodeNetwork } from './network.js';

export const NODE_NAME = 'berth-node';

export interface KubeletOptions {
  dir: string;
  binary: string;
  net: NodeNetwork;
  server: string;
  caCert: string;
  caKey: string;
  containerdSocket: string;
  /** KEP-4412 image credential provider: its CredentialProviderConfig and the dir holding its binary. */
  credentialProvider: { config: string; binDir: string };
}

export interface Kubelet {
  process: ManagedProcess;
  rootDir: string;
  kubeconfig: string;
}

export function kubeletConfig(o: KubeletOptions): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine has cgroup v1 (hybrid) and no systemd.
failCgroupV1: false
cgroupDriver: cgroupfs
failSwapOn: false
containerRuntimeEndpoint: unix://${o.containerdSocket}
address: ${o.net.address}
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 0
# The apiserver has no kubelet client certificate: logs and exec arrive anonymously.
authentication: {anonymous: {enabled: true}, webhook: {enabled: false}}
authorization: {mode: AlwaysAllow}
clusterDNS: [${o.net.dnsServiceIp}]
clusterDomain: ${o.net.clusterDomain}
resolvConf: ${join(o.dir, 'resolv.conf')}
podLogsDir: ${join(o.dir, 'logs')}
staticPodPath: ${join(o.dir, 'manifests')}
rotateCertificates: false
serverTLSBootstrap: false
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
nodeStatusUpdateFrequency: 5s
nodeStatusReportFrequency: 10s
# Secret and ConfigMap volumes (the registry's policy file) follow changes within ~10 s.
syncFrequency: 10s
maxPods: 80
serializeImagePulls: false
`;
}

function nodeKubeconfig(o: KubeletOptions, certFile: string, keyFile: string): string {
  return `apiVersion: v1
kind: Config
clusters: [{name: node, cluster: {server: "${o.server}", certificate-authority: "${o.caCert}"}}]
users: [{name: node, user: {client-certificate: "${certFile}", client-key: "${keyFile}"}}]
contexts: [{name: node, context: {cluster: node, user: node}}]
current-context: node
`;
}

function issueNodeCertificate(pki: string, caCert: string, caKey: string): { cert: string; key: string } {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: pki, stdio: ['ignore', 'ignore', 'pipe'] });
  writeFileSync(join(pki, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/O=system:nodes/CN=system:node:${NODE_NAME}`, '-keyout', 'node.key', '-out', 'node.csr']);
  run(['x509', '-req', '-in', 'node.csr', '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-days', '2', '-out', 'node.crt', '-extfile', 'client.ext']);
  return { cert: join(pki, 'node.crt'), key: join(pki, 'node.key') };
}

export function startKubelet(o: KubeletOptions): Kubelet {
  const pki = join(o.dir, 'pki');
  for (const d of [pki, join(o.dir, 'logs'), join(o.dir, 'manifests'), join(o.dir, 'root')]) mkdirSync(d, { recursive: true });
  // Pods use the cluster DNS (ClusterFirst); this file only feeds dnsPolicy: Default pods.
  writeFileSync(join(o.dir, 'resolv.conf'), `nameserver ${o.net.dnsServiceIp}\n`);
  writeFileSync(join(o.dir, 'config.yaml'), kubeletConfig(o));
  const { cert, key } = issueNodeCertificate(pki, o.caCert, o.caKey);
  const kubeconfig = join(o.dir, 'kubeconfig');
  writeFileSync(kubeconfig, nodeKubeconfig(o, cert, key));
  const rootDir = join(o.dir, 'root');
  const process = startProcess('kubelet', o.binary, [
    `--config=${join(o.dir, 'config.yaml')}`,
    `--kubeconfig=${kubeconfig}`,
    `--root-dir=${rootDir}`,
    `--cert-dir=${pki}`,
    `--hostname-override=${NODE_NAME}`,
    `--node-ip=${o.net.address}`,
    `--image-credential-provider-config=${o.credentialProvider.config}`,
    `--image-credential-provider-bin-dir=${o.credentialProvider.binDir}`,
    '--v=1',
  ], join(o.dir, 'kubelet.log'));
  return { process, rootDir, kubeconfig };
}
