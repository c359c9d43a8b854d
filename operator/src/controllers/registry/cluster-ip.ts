// Nodes cannot resolve *.svc names, so whatever runs on a node reaches the registry
// at its Service's ClusterIP: node access's host configuration, and containerd's
// mirror hosts.toml (unless spec.mirror.containerd.endpoint names another address).
// With tls.selfSigned the certificate must then name the ClusterIP as an IP SAN, or
// containerd refuses the mirror.
import type { Registry } from '../../api/types.js';
import { REGISTRY_PORT } from './config.js';

/** True when containerd's mirror hosts.toml points at the Service's ClusterIP. */
export function mirrorDialsClusterIP(reg: Registry): boolean {
  return !!reg.spec.mirror?.upstreams?.length && !reg.spec.mirror.containerd?.endpoint;
}

/** True when something on the nodes dials the ClusterIP (so the certificate must name it). */
export function nodesDialClusterIP(reg: Registry, nodeAccessOn: boolean): boolean {
  return nodeAccessOn || mirrorDialsClusterIP(reg);
}

/** The registry at its ClusterIP, as containerd spells a host: `https://10.96.0.50:5000`, `https://[fd00::5]:5000`. */
export function clusterIPEndpoint(reg: Registry, ip: string): string {
  return `${reg.spec.tls ? 'https' : 'http'}://${ip.includes(':') ? `[${ip}]` : ip}:${reg.spec.service?.port ?? REGISTRY_PORT}`;
}
