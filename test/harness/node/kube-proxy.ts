// kube-proxy in iptables mode: Service ClusterIPs route to their endpoints from
// pods (through the bridge, with bridge netfilter) and from this machine
// (containerd pulling from a registry Service, tests calling Services). NodePorts
// answer on the node's bridge address only, never on loopback (that would need
// route_localnet) or on the machine's other interfaces. It touches no conntrack
// sysctl, and `kube-proxy --cleanup` removes its rules at teardown.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startProcess, type ManagedProcess } from '../control-plane/processes.js';
import { NODE_NAME } from './kubelet.js';
import type { NodeNetwork } from './network.js';

const execFileAsync = promisify(execFile);

export function kubeProxyConfig(net: NodeNetwork, kubeconfig: string, healthzPort: number, metricsPort: number): string {
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: "${kubeconfig}"}
hostnameOverride: ${NODE_NAME}
bindAddress: ${net.address}
healthzBindAddress: 127.0.0.1:${healthzPort}
metricsBindAddress: 127.0.0.1:${metricsPort}
# This machine's root cannot lower OOM scores (no CAP_SYS_RESOURCE).
oomScoreAdj: 0
clusterCIDR: ${net.podCidr}
detectLocalMode: ClusterCIDR
nodePortAddresses: ["${net.address}/32"]
iptables:
  localhostNodePorts: false
  masqueradeAll: false
  syncPeriod: 30s
  minSyncPeriod: 0s
# Leave the machine's conntrack table settings alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
`;
}

export function startKubeProxy(binary: string, dir: string, net: NodeNetwork, kubeconfig: string, healthzPort: number, metricsPort: number): ManagedProcess {
  const config = join(dir, 'kube-proxy.yaml');
  writeFileSync(config, kubeProxyConfig(net, kubeconfig, healthzPort, metricsPort));
  return startProcess('kube-proxy', binary, [`--config=${config}`, '--v=1'], join(dir, 'kube-proxy.log'));
}

/** Removes every rule kube-proxy made (all modes); run after it stopped. */
export async function cleanUpKubeProxy(binary: string, dir: string): Promise<void> {
  await execFileAsync(binary, ['--cleanup', `--config=${join(dir, 'kube-proxy.yaml')}`], { timeout: 60_000 }).catch(() => undefined);
}
