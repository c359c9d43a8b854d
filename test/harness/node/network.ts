// The node's network: a bridge of our own with the node's address, pods on a
// /24 behind it, Service ClusterIPs routed onto it (kube-proxy translates them),
// and nothing else. Pods get routes to the bridge subnet and the Service range
// only, no default route, and a guard chain drops anything that would leave or
// enter the bridge from another interface: the node is reachable from this
// machine's loopback and its own bridge, never from the network.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface NodeNetwork {
  bridge: string;
  /** The node's address on the bridge: kubelet, apiserver and node IP. */
  address: string;
  podCidr: string;
  podRange: { start: string; end: string };
  serviceCidr: string;
  kubernetesServiceIp: string;
  dnsServiceIp: string;
  clusterDomain: string;
}

export const NODE_NETWORK: NodeNetwork = {
  bridge: 'berth0',
  address: '10.244.0.1',
  podCidr: '10.244.0.0/24',
  podRange: { start: '10.244.0.10', end: '10.244.0.250' },
  serviceCidr: '10.96.0.0/24',
  kubernetesServiceIp: '10.96.0.1',
  dnsServiceIp: '10.96.0.10',
  clusterDomain: 'cluster.local',
};

const INPUT_CHAIN = 'BERTH-NODE-INPUT';
const FORWARD_CHAIN = 'BERTH-NODE-FORWARD';
/** Global switches the node needs, restored to what they were at teardown. */
const SYSCTLS = ['/proc/sys/net/bridge/bridge-nf-call-iptables'];

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function quiet(cmd: string, args: string[]): boolean {
  try {
    sh(cmd, args);
    return true;
  } catch {
    return false;
  }
}

/** Routes on this machine that overlap ours and are not on our bridge: someone else's network. */
function conflictingRoutes(net: NodeNetwork): string[] {
  const prefixes = [net.podCidr, net.serviceCidr].map((c) => c.split('.').slice(0, 3).join('.') + '.');
  return sh('ip', ['-4', 'route', 'show']).split('\n').filter((r) => r && !r.includes(`dev ${net.bridge} `) && prefixes.some((p) => r.startsWith(p)));
}

export interface NetworkState {
  sysctls: Record<string, string>;
}

export function setUpNetwork(net: NodeNetwork): NetworkState {
  const conflicts = conflictingRoutes(net);
  if (conflicts.length) throw new Error(`the node's ranges ${net.podCidr} / ${net.serviceCidr} are already routed on this machine: ${conflicts.join('; ')}`);
  const sysctls: Record<string, string> = {};
  for (const path of SYSCTLS) {
    sysctls[path] = readFileSync(path, 'utf8').trim();
    writeFileSync(path, '1');
  }
  if (!quiet('ip', ['link', 'show', net.bridge])) sh('ip', ['link', 'add', net.bridge, 'type', 'bridge']);
  sh('ip', ['addr', 'replace', `${net.address}/${net.podCidr.split('/')[1]}`, 'dev', net.bridge]);
  sh('ip', ['link', 'set', net.bridge, 'up']);
  // ClusterIPs from the host (containerd pulling, tests) go to the bridge, where kube-proxy's rules apply.
  sh('ip', ['route', 'replace', net.serviceCidr, 'dev', net.bridge, 'src', net.address]);
  // Pod → ClusterIP → pod is routed back out of the bridge: forwarding on this interface only.
  writeFileSync(`/proc/sys/net/ipv4/conf/${net.bridge}/forwarding`, '1');
  installGuard(net);
  return { sysctls };
}

function installGuard(net: NodeNetwork): void {
  removeGuard();
  sh('iptables', ['-N', INPUT_CHAIN]);
  sh('iptables', ['-A', INPUT_CHAIN, '-i', 'lo', '-j', 'RETURN']);
  sh('iptables', ['-A', INPUT_CHAIN, '-i', net.bridge, '-j', 'RETURN']);
  sh('iptables', ['-A', INPUT_CHAIN, '-d', net.podCidr, '-j', 'DROP']);
  sh('iptables', ['-I', 'INPUT', '1', '-j', INPUT_CHAIN]);
  sh('iptables', ['-N', FORWARD_CHAIN]);
  sh('iptables', ['-A', FORWARD_CHAIN, '-i', net.bridge, '-o', net.bridge, '-j', 'RETURN']);
  sh('iptables', ['-A', FORWARD_CHAIN, '-i', net.bridge, '-j', 'DROP']);
  sh('iptables', ['-A', FORWARD_CHAIN, '-o', net.bridge, '-j', 'DROP']);
  sh('iptables', ['-I', 'FORWARD', '1', '-j', FORWARD_CHAIN]);
}

function removeGuard(): void {
  for (const [parent, chain] of [['INPUT', INPUT_CHAIN], ['FORWARD', FORWARD_CHAIN]]) {
    while (quiet('iptables', ['-D', parent, '-j', chain]));
    quiet('iptables', ['-F', chain]);
    quiet('iptables', ['-X', chain]);
  }
}

/** Splits an `iptables -S` rule into arguments, keeping "quoted comments" whole. */
export function ruleArgs(rule: string): string[] {
  return [...rule.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]));
}

/**
 * Chains the kubelet and kube-proxy leave behind after `kube-proxy --cleanup`
 * (the kubelet's canaries and firewall), removed from every table they use.
 */
function removeKubeChains(): void {
  for (const bin of ['iptables', 'ip6tables']) {
    for (const table of ['filter', 'nat', 'mangle']) {
      let rules: string;
      try {
        rules = sh(bin, ['-t', table, '-S']);
      } catch {
        continue;
      }
      // Jumps into KUBE-* chains from the built-in chains first, then the chains themselves.
      for (const line of rules.split('\n').filter((l) => l.startsWith('-A ') && / -j KUBE-/.test(l) && !/^-A KUBE-/.test(l))) {
        quiet(bin, ['-t', table, '-D', ...ruleArgs(line.slice(3))]);
      }
      const chains = rules.split('\n').filter((l) => l.startsWith('-N KUBE-')).map((l) => l.slice(3));
      for (const c of chains) quiet(bin, ['-t', table, '-F', c]);
      for (const c of chains) quiet(bin, ['-t', table, '-X', c]);
    }
  }
}

/** Everything setUpNetwork made, and what kube-proxy and the kubelet added; safe to run twice. */
export function tearDownNetwork(net: NodeNetwork, state?: NetworkState): void {
  removeGuard();
  removeKubeChains();
  if (quiet('ip', ['link', 'show', net.bridge])) sh('ip', ['link', 'del', net.bridge]);
  for (const [path, value] of Object.entries(state?.sysctls ?? {})) if (existsSync(path)) writeFileSync(path, value);
}

/** What is left of the node's network, for the teardown check: empty when nothing is. */
export function networkLeftovers(net: NodeNetwork): string[] {
  const left: string[] = [];
  if (quiet('ip', ['link', 'show', net.bridge])) left.push(`bridge ${net.bridge}`);
  for (const bin of ['iptables', 'ip6tables']) {
    for (const table of ['filter', 'nat', 'mangle']) {
      let rules = '';
      try {
        rules = sh(bin, ['-t', table, '-S']);
      } catch {
        continue;
      }
      const ours = rules.split('\n').filter((l) => /^-N (KUBE-|BERTH-NODE-)/.test(l));
      if (ours.length) left.push(`${bin} ${table}: ${ours.map((l) => l.slice(3)).join(' ')}`);
    }
  }
  return left;
}
