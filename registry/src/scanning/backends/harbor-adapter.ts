// A Harbor Pluggable Scanner adapter (Trivy's, or any other) as the backend:
// Berth asks it to scan each image manifest, giving it the registry URL and a
// short-lived pull-only token for the one repository, then polls the report
// until it is ready or pollTimeoutSeconds pass. The adapter keeps its own
// database, so results are stored under the adapter's identity and a new Berth
// vulnerability database does not re-match them.
import { readFile } from 'node:fs/promises';
import type { SecurityConfig } from '#contract/config/security.js';
import type { Finding } from '../../security/osv/matcher.js';
import { parseSeverity } from '../../security/osv/severity.js';
import { BackendUnavailableError, type MatchBackend, type MatchResult, type MatchTarget } from './backend.js';
import { AdapterError, HarborAdapterClient, type AdapterReport } from './harbor-adapter-client.js';

type Config = NonNullable<SecurityConfig['scanning']['harborAdapter']>;

export interface HarborAdapterDeps {
  /** The URL the adapter pulls from (harborAdapter.registryURL, else http.publicURL). */
  readonly registryURL?: string;
  /** A pull-only token for one repository; undefined when auth is off. */
  readonly scannerToken?: (repo: string) => Promise<string>;
  readonly signal?: AbortSignal;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly now?: () => number;
}

const defaultSleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve, reject) => {
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => {
    clearTimeout(t);
    reject(new BackendUnavailableError('scanning stopped'));
  }, { once: true });
});

export class HarborAdapterBackend implements MatchBackend {
  readonly name = 'harbor-adapter' as const;
  readonly followsVulnDb = false;
  private client: HarborAdapterClient | undefined;

  constructor(private readonly config: Config, private readonly deps: HarborAdapterDeps) {}

  resultKey(): string {
    return `harbor-adapter:${this.config.url}`;
  }

  async match(target: MatchTarget): Promise<MatchResult> {
    const registryURL = this.config.registryURL ?? this.deps.registryURL;
    if (!registryURL) throw new BackendUnavailableError('the adapter needs scanning.harborAdapter.registryURL or http.publicURL to pull from');
    const client = await this.clientOf();
    const token = await this.deps.scannerToken?.(target.repo);
    const now = this.deps.now ?? Date.now;
    const sleep = this.deps.sleep ?? defaultSleep;
    const deadline = now() + this.config.pollTimeoutSeconds * 1000;
    const id = await client.requestScan({
      registry: { url: registryURL, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      artifact: { repository: target.repo, digest: target.digest, mime_type: target.mediaType },
    }).catch(unavailable);
    for (;;) {
      const poll = await client.report(id).catch(unavailable);
      if (poll.state === 'ready') return { key: this.resultKey(), findings: findingsOf(poll.report) };
      const left = deadline - now();
      if (left <= 0) throw new BackendUnavailableError(`the adapter's report for ${target.digest} was not ready after ${this.config.pollTimeoutSeconds} s`);
      await sleep(Math.min(poll.refreshAfterSeconds * 1000, left), this.deps.signal);
    }
  }

  private async clientOf(): Promise<HarborAdapterClient> {
    if (!this.client) {
      const authorization = this.config.authorizationFile ? (await readFile(this.config.authorizationFile, 'utf8')).trim() : undefined;
      this.client = new HarborAdapterClient(this.config.url, { authorization, requestTimeoutMs: this.config.requestTimeoutSeconds * 1000 });
    }
    return this.client;
  }
}

function unavailable(err: unknown): never {
  if (err instanceof AdapterError) throw new BackendUnavailableError(`harbor adapter: ${err.message}`);
  throw err;
}

/** The adapter's report as findings (Harbor's items carry no purl; the package name stands in). */
export function findingsOf(report: AdapterReport): Finding[] {
  return (report.vulnerabilities ?? []).map((v) => {
    const purl = typeof v.vendor_attributes?.purl === 'string' ? v.vendor_attributes.purl : '';
    return {
      id: v.id,
      aliases: [],
      purl: purl || `${v.package ?? ''}@${v.version ?? ''}`,
      packageName: v.package ?? '',
      installedVersion: v.version ?? '',
      ecosystem: '',
      osvName: v.package ?? '',
      fixedVersion: v.fix_version || undefined,
      severity: parseSeverity(v.severity ?? '') ?? 'Unknown',
      cvss: v.preferred_cvss ?? {},
      summary: v.description,
      links: v.links ?? [],
    };
  });
}
