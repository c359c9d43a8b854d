// The two kinds of rules as runnable plans: a sync rule copies selected tags of an
// upstream's repositories into its cache namespace; a replication rule pushes
// selected tags of local repositories to another registry. Each lists its images
// and makes the copier for them.
import type { ReplicationRuleConfig, SyncRuleConfig } from '#contract/config/mirror.js';
import { compileRepositoryPattern } from '#contract/auth/repository-pattern.js';
import type { Logger } from '../log.js';
import type { Mirror } from '../mirror/mirror.js';
import { remoteName } from '../mirror/upstream.js';
import { openCredentialsFile, ANONYMOUS_SOURCE, type CredentialSource } from '../remote/credentials.js';
import { RegistryClient } from '../remote/registry-client.js';
import type { MetadataIndex } from '../metadata/index.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import type { WritePath } from '../write/write-path.js';
import { Copier } from './copier.js';
import { CacheDestination, LocalSource, RemoteEndpoint, type ImageDestination, type ImageSource } from './endpoints.js';
import { TagSelector } from './selection.js';

/** One image to copy: a tag (or a digest, for a referrer pushed on its own) from one repository to another. */
export interface CopyJob {
  readonly from: string;
  readonly to: string;
  readonly tag?: string;
  readonly digest?: string;
}

export interface Rule {
  readonly name: string;
  readonly kind: 'sync' | 'replication';
  readonly intervalSeconds: number;
  /** Every image the rule selects now. */
  plan(): Promise<CopyJob[]>;
  copier(log: Logger): Copier;
  close(): void;
}

/** cosign's signature/attestation/SBOM tags: copied along with their image, never selected on their own. */
export const COSIGN_TAG = /^sha256-[0-9a-f]{64}\.(sig|att|sbom)$/;

export class SyncRule implements Rule {
  readonly kind = 'sync';
  readonly name: string;
  readonly intervalSeconds: number;
  private readonly selector: TagSelector;

  constructor(private readonly config: SyncRuleConfig, private readonly mirror: Mirror, private readonly storage: RegistryStorage, private readonly writes: WritePath) {
    this.name = config.name;
    this.intervalSeconds = config.intervalSeconds;
    this.selector = new TagSelector(config);
  }

  private get upstream() {
    const u = this.mirror.upstream(this.config.upstream);
    if (!u) throw new Error(`sync rule ${this.name}: no upstream ${this.config.upstream}`);
    return u;
  }

  async plan(): Promise<CopyJob[]> {
    const source = new RemoteEndpoint(this.upstream.client);
    const jobs: CopyJob[] = [];
    for (const name of this.config.repositories) {
      const remote = remoteName(this.config.upstream, name);
      const tags = ((await source.tags(remote)) ?? []).filter((t) => !COSIGN_TAG.test(t));
      for (const tag of this.selector.select(tags)) jobs.push({ from: remote, to: `${this.config.upstream}/${remote}`, tag });
    }
    return jobs;
  }

  copier(log: Logger): Copier {
    const source: ImageSource = new RemoteEndpoint(this.upstream.client);
    const destination: ImageDestination = new CacheDestination(this.storage, this.writes, { upstream: this.config.upstream });
    return new Copier(source, destination, { platforms: this.config.platforms, concurrency: this.config.concurrency, referrers: this.config.referrers }, log);
  }

  close(): void {}
}

export class ReplicationRule implements Rule {
  readonly kind = 'replication';
  readonly name: string;
  readonly intervalSeconds: number;
  readonly selector: TagSelector;
  private readonly patterns: RegExp[];
  private readonly client: RegistryClient;

  private constructor(readonly config: ReplicationRuleConfig, private readonly storage: RegistryStorage, private readonly index: MetadataIndex,
    private readonly credentials: CredentialSource) {
    this.name = config.name;
    this.intervalSeconds = config.intervalSeconds;
    this.selector = new TagSelector(config);
    this.patterns = config.repositories.map(compileRepositoryPattern);
    this.client = new RegistryClient({ url: config.url, tls: config.tls, credentials, timeoutMs: config.timeoutSeconds * 1000 });
  }

  static async open(config: ReplicationRuleConfig, storage: RegistryStorage, index: MetadataIndex, log: Logger): Promise<ReplicationRule> {
    const credentials = config.credentialsFile ? await openCredentialsFile(config.credentialsFile, new URL(config.url).hostname, log) : ANONYMOUS_SOURCE;
    return new ReplicationRule(config, storage, index, credentials);
  }

  covers(repo: string): boolean {
    return this.patterns.some((re) => re.test(repo));
  }

  destinationOf(repo: string): string {
    return this.config.prefix ? `${this.config.prefix}/${repo}` : repo;
  }

  async plan(): Promise<CopyJob[]> {
    const jobs: CopyJob[] = [];
    for (const repo of (await this.storage.repositories.list()).filter((r) => this.covers(r))) {
      const tags = ((await this.storage.tags.list(repo)) ?? []).filter((t) => !COSIGN_TAG.test(t));
      for (const tag of this.selector.select(tags)) jobs.push({ from: repo, to: this.destinationOf(repo), tag });
    }
    return jobs;
  }

  copier(log: Logger): Copier {
    return new Copier(new LocalSource(this.storage, this.index), new RemoteEndpoint(this.client),
      { platforms: [], concurrency: this.config.concurrency, referrers: this.config.referrers }, log);
  }

  close(): void {
    this.client.close();
    this.credentials.close();
  }
}

/** Cached tags the sync rules keep: eviction leaves them alone (what a rule copies must stay for its air-gapped users). */
export function pinnedBySync(rules: readonly SyncRuleConfig[]): (repo: string, tag: string) => boolean {
  const compiled = rules.map((r) => ({
    repos: new Set(r.repositories.map((name) => `${r.upstream}/${remoteName(r.upstream, name)}`)),
    selector: new TagSelector(r),
  }));
  return (repo, tag) => compiled.some((c) => c.repos.has(repo) && (c.selector.matches(tag) || COSIGN_TAG.test(tag)));
}
