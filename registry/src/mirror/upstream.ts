// One configured upstream: its client (with the token handshake and credentials
// that follow their file), its circuit, its fetch slots and bandwidth cap, and
// which of its repositories the cache serves.
import type { IncomingMessage } from 'node:http';
import { compileRepositoryPattern } from '#contract/auth/repository-pattern.js';
import type { UpstreamConfig } from '#contract/config/mirror.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import { BandwidthLimit } from '../remote/bandwidth.js';
import { ANONYMOUS_SOURCE, openCredentialsFile, type CredentialSource } from '../remote/credentials.js';
import { RegistryClient } from '../remote/registry-client.js';
import { Circuit } from './circuit.js';
import { Semaphore } from './semaphore.js';

export class Upstream {
  readonly host: string;
  readonly client: RegistryClient;
  readonly circuit: Circuit;
  readonly fetchSlots: Semaphore;
  readonly bandwidth?: BandwidthLimit;
  private readonly include: RegExp[];
  private readonly exclude: RegExp[];

  private constructor(readonly config: UpstreamConfig, private readonly credentials: CredentialSource, metrics: Metrics, maxManifestBytes: number) {
    this.host = config.host;
    this.include = config.include.map(compileRepositoryPattern);
    this.exclude = config.exclude.map(compileRepositoryPattern);
    this.circuit = new Circuit(config.circuitOpenSeconds, (open) => metrics.cacheCircuitOpen.set({ upstream: this.host }, open ? 1 : 0));
    this.fetchSlots = new Semaphore(config.maxConcurrentFetches);
    if (config.maxBandwidthBytesPerSecond) this.bandwidth = new BandwidthLimit(config.maxBandwidthBytesPerSecond);
    this.client = new RegistryClient({
      url: config.url, tls: config.tls, credentials, timeoutMs: config.timeoutSeconds * 1000, maxManifestBytes,
      observe: (method, res) => this.observe(metrics, method, res),
    });
    metrics.cacheCircuitOpen.set({ upstream: this.host }, 0);
  }

  static async open(config: UpstreamConfig, log: Logger, metrics: Metrics, maxManifestBytes: number): Promise<Upstream> {
    const credentials = config.credentialsFile
      ? await openCredentialsFile(config.credentialsFile, new URL(config.url).hostname, log)
      : ANONYMOUS_SOURCE;
    return new Upstream(config, credentials, metrics, maxManifestBytes);
  }

  /** Whether the cache serves this upstream repository (include minus exclude). */
  serves(remoteName: string): boolean {
    return this.include.some((re) => re.test(remoteName)) && !this.exclude.some((re) => re.test(remoteName));
  }

  remoteName(name: string): string {
    return remoteName(this.host, name);
  }

  close(): void {
    this.client.close();
    this.credentials.close();
  }

  private observe(metrics: Metrics, method: string, res: IncomingMessage | undefined): void {
    metrics.cacheUpstreamRequests.inc({ upstream: this.host, method, status: res ? String(res.statusCode) : 'error' });
    // Docker Hub: "ratelimit-remaining: 76;w=21600".
    const remaining = res && /^\s*(\d+)/.exec(String(res.headers['ratelimit-remaining'] ?? ''));
    if (remaining) metrics.cacheRateLimitRemaining.set({ upstream: this.host }, Number(remaining[1]));
  }
}

/** Docker Hub's official images live under `library/`: `alpine` is `library/alpine` there. */
export function remoteName(host: string, name: string): string {
  return host === 'docker.io' && !name.includes('/') ? `library/${name}` : name;
}
