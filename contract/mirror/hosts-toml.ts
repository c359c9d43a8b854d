// containerd's registry host configuration (`/etc/containerd/certs.d/<host>/hosts.toml`,
// containerd docs/hosts.md) that makes a node pull an upstream through Berth: the
// registry is a mirror host with pull and resolve, and containerd adds `?ns=<host>`
// to each request, which is how Berth picks the upstream. The operator renders one
// per upstream; the tests render the same file for their containerd.

export interface HostsTomlOptions {
  /** The upstream's own endpoint, which containerd falls back to when the mirror fails; omit on nodes that cannot reach it. */
  readonly server?: string;
  /** Berth as the node reaches it, e.g. https://10.96.0.50:5000 (nodes cannot resolve *.svc names). */
  readonly mirror: string;
  /** CA that signed the registry's certificate, as a path on the node. */
  readonly caFile?: string;
  readonly skipVerify?: boolean;
  /** containerd's dial timeout for the mirror, e.g. "2s". */
  readonly dialTimeout?: string;
}

/** Where containerd itself would pull each well-known registry from. */
export const KNOWN_SERVERS: Readonly<Record<string, string>> = {
  'docker.io': 'https://registry-1.docker.io',
  'ghcr.io': 'https://ghcr.io',
  'quay.io': 'https://quay.io',
  'registry.k8s.io': 'https://registry.k8s.io',
};

const quote = (s: string) => JSON.stringify(s);

export function renderHostsToml(o: HostsTomlOptions): string {
  const lines: string[] = [];
  if (o.server) lines.push(`server = ${quote(o.server)}`, '');
  lines.push(`[host.${quote(o.mirror)}]`, '  capabilities = ["pull", "resolve"]');
  if (o.caFile) lines.push(`  ca = ${quote(o.caFile)}`);
  if (o.skipVerify) lines.push('  skip_verify = true');
  if (o.dialTimeout) lines.push(`  dial_timeout = ${quote(o.dialTimeout)}`);
  return `${lines.join('\n')}\n`;
}
