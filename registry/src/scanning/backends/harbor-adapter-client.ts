// A client of the Harbor Pluggable Scanner API v1.1/v1.2 (goharbor/pluggable-scanner-spec):
//   GET  /api/v1/metadata                 → 200 scanner and capabilities
//   POST /api/v1/scan                     → 202 {id}; 400/422/500/501 refused
//   GET  /api/v1/scan/{id}/report         → 200 report | 302 + Refresh-After (seconds) while
//                                           in progress | 404 unknown id | 500 failed
// The 302 is a status, not a redirect to follow.
export const SCAN_REQUEST_TYPE = 'application/vnd.scanner.adapter.scan.request+json; version=1.1';
export const VULNERABILITY_REPORT_TYPE = 'application/vnd.security.vulnerability.report; version=1.1';
const METADATA_TYPES = 'application/vnd.scanner.adapter.metadata+json; version=1.1, application/vnd.scanner.adapter.metadata+json; version=1.0';

export interface AdapterScanner {
  readonly name: string;
  readonly vendor: string;
  readonly version: string;
}

export interface AdapterMetadata {
  readonly scanner: AdapterScanner;
  readonly capabilities: readonly { type?: string; consumes_mime_types: string[]; produces_mime_types: string[] }[];
  readonly properties?: Record<string, string>;
}

export interface ScanRequest {
  readonly registry: { readonly url: string; readonly authorization?: string };
  readonly artifact: { readonly repository: string; readonly digest: string; readonly tag?: string; readonly mime_type: string };
}

export interface AdapterVulnerability {
  readonly id: string;
  readonly package?: string;
  readonly version?: string;
  readonly fix_version?: string;
  readonly severity?: string;
  readonly description?: string;
  readonly links?: string[];
  readonly preferred_cvss?: { score_v3?: number; vector_v3?: string; score_v2?: number; vector_v2?: string };
  readonly cwe_ids?: string[];
  readonly vendor_attributes?: Record<string, unknown>;
}

export interface AdapterReport {
  readonly generated_at?: string;
  readonly scanner?: AdapterScanner;
  readonly severity?: string;
  readonly vulnerabilities?: readonly AdapterVulnerability[];
}

export type ReportPoll =
  | { readonly state: 'ready'; readonly report: AdapterReport }
  | { readonly state: 'pending'; readonly refreshAfterSeconds: number };

/** The adapter refused or failed; `status` is its HTTP status (0: it could not be reached). */
export class AdapterError extends Error {
  override name = 'AdapterError';
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface AdapterClientOptions {
  /** The Authorization header value for the adapter itself, if it wants one. */
  readonly authorization?: string;
  readonly requestTimeoutMs: number;
}

export class HarborAdapterClient {
  private readonly base: string;

  constructor(url: string, private readonly options: AdapterClientOptions) {
    this.base = `${url.replace(/\/+$/, '').replace(/\/api\/v1$/, '')}/api/v1`;
  }

  async metadata(): Promise<AdapterMetadata> {
    const res = await this.call('GET', '/metadata', { Accept: METADATA_TYPES });
    if (res.status !== 200) throw await this.failure(res, 'metadata');
    return await res.json() as AdapterMetadata;
  }

  async requestScan(request: ScanRequest): Promise<string> {
    const res = await this.call('POST', '/scan', { 'Content-Type': SCAN_REQUEST_TYPE, Accept: 'application/vnd.scanner.adapter.scan.response+json; version=1.0' }, JSON.stringify(request));
    if (res.status !== 202) throw await this.failure(res, 'scan request');
    const body = await res.json() as { id?: unknown };
    if (typeof body.id !== 'string' || !body.id) throw new AdapterError(res.status, 'scan request: the adapter answered 202 without an id');
    return body.id;
  }

  async report(id: string): Promise<ReportPoll> {
    const res = await this.call('GET', `/scan/${encodeURIComponent(id)}/report`, { Accept: VULNERABILITY_REPORT_TYPE });
    if (res.status === 302) {
      await res.body?.cancel();
      const after = Number(res.headers.get('refresh-after'));
      return { state: 'pending', refreshAfterSeconds: Number.isFinite(after) && after > 0 ? after : 1 };
    }
    if (res.status !== 200) throw await this.failure(res, 'report');
    const report = await res.json() as AdapterReport;
    if (report.vulnerabilities !== undefined && !Array.isArray(report.vulnerabilities)) throw new AdapterError(200, 'report: vulnerabilities is not a list');
    return { state: 'ready', report };
  }

  private async call(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Response> {
    try {
      return await fetch(`${this.base}${path}`, {
        method, body, redirect: 'manual', signal: AbortSignal.timeout(this.options.requestTimeoutMs),
        headers: { ...headers, ...(this.options.authorization ? { Authorization: this.options.authorization } : {}) },
      });
    } catch (err) {
      throw new AdapterError(0, `${method} ${path}: ${(err as Error).message}`);
    }
  }

  private async failure(res: Response, what: string): Promise<AdapterError> {
    const text = await res.text().catch(() => '');
    let message = text.slice(0, 500);
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      // not the spec's error body: keep the text
    }
    return new AdapterError(res.status, `${what}: ${res.status}${message ? ` ${message}` : ''}`);
  }
}
