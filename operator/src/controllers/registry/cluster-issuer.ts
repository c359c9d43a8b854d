// The cluster's ServiceAccount issuer (the `iss` of every token the API server
// signs), read from its OIDC discovery document as a registry would. Readable by
// every ServiceAccount through the default system:service-account-issuer-discovery
// binding, so the operator needs no permission for it. It changes only when the
// API server is reconfigured, so one answer serves every Registry for a while.
import type { KubeClient } from '../../kube/client.js';

const TTL_MS = 10 * 60_000;

export class ClusterIssuerDiscovery {
  private cached?: { issuer: string; at: number };

  constructor(private readonly client: KubeClient, private readonly now: () => number = Date.now) {}

  async issuer(): Promise<string> {
    if (this.cached && this.now() - this.cached.at < TTL_MS) return this.cached.issuer;
    const doc = await this.client.request<{ issuer?: unknown }>('GET', '/.well-known/openid-configuration');
    const issuer = doc?.issuer;
    if (typeof issuer !== 'string' || !issuer.startsWith('https://')) {
      throw new Error(`the API server's OIDC discovery document names no https issuer (${JSON.stringify(issuer)}); set spec.auth.federation.cluster.issuer`);
    }
    this.cached = { issuer, at: this.now() };
    return issuer;
  }
}
