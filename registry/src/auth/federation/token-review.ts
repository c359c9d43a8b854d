// Asks the Kubernetes API server whether a ServiceAccount token is still good
// (authentication.k8s.io/v1 TokenReview). Unlike a signature check, this refuses
// the token of a deleted pod or a deleted (or recreated) ServiceAccount at once.
// Answers are reused for at most reviewCacheSeconds (refusals for a few seconds,
// since a pod created a moment ago may not be visible yet); concurrent reviews of
// one token share one request. The registry authenticates with `tokenFile` and
// needs `create tokenreviews` (the system:auth-delegator ClusterRole).
import { createHash } from 'node:crypto';
import type { FederationIssuerConfig } from '#contract/config/federation.js';
import { InvalidTokenError } from '../tokens.js';
import { issuerRequest, IssuerUnreachableError, type IssuerConnection } from './https-client.js';
import type { FederatedPrincipal } from './principal.js';

const REFUSAL_CACHE_MS = 5_000;
const CACHE_MAX = 10_000;

interface Entry {
  /** Undefined when refused. */
  readonly validUntil: number | undefined;
  readonly reason: string;
  readonly until: number;
}

interface ReviewStatus {
  authenticated?: boolean;
  error?: string;
  audiences?: string[];
  user?: { username?: string; uid?: string; extra?: Record<string, string[]> };
}

export class TokenReviewer {
  private readonly cache = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Entry>>();
  private readonly url: string;
  /** Reviews sent to the API server (tests and the benchmark read it). */
  requests = 0;

  constructor(private readonly issuer: FederationIssuerConfig, private readonly connection: IssuerConnection, private readonly now: () => number = () => Date.now()) {
    this.url = `${issuer.apiServer!.replace(/\/+$/, '')}/apis/authentication.k8s.io/v1/tokenreviews`;
  }

  /** Resolves to the time until which the principal may be trusted; InvalidTokenError when refused. */
  async review(token: string, principal: FederatedPrincipal): Promise<number> {
    const key = createHash('sha256').update(token).digest('base64url');
    const now = this.now();
    let entry = this.cache.get(key);
    if (!entry || entry.until <= now) {
      this.cache.delete(key);
      let pending = this.inflight.get(key);
      if (!pending) {
        pending = this.ask(token, principal).finally(() => this.inflight.delete(key));
        this.inflight.set(key, pending);
      }
      entry = await pending;
      if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, entry);
    }
    if (entry.validUntil === undefined) throw new InvalidTokenError(entry.reason);
    return entry.validUntil;
  }

  private async ask(token: string, principal: FederatedPrincipal): Promise<Entry> {
    const res = await issuerRequest(this.url, this.connection, {
      method: 'POST',
      json: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: this.issuer.audiences } },
    });
    if (res.status !== 200 && res.status !== 201) throw new IssuerUnreachableError(`TokenReview: HTTP ${res.status} ${res.body.toString('utf8').slice(0, 200)}`);
    let status: ReviewStatus;
    try {
      status = (JSON.parse(res.body.toString('utf8')) as { status?: ReviewStatus }).status ?? {};
    } catch {
      throw new IssuerUnreachableError('TokenReview: not JSON');
    }
    const now = this.now();
    const refused = (reason: string): Entry => ({ validUntil: undefined, reason, until: now + REFUSAL_CACHE_MS });
    if (status.authenticated !== true) return refused(`refused by TokenReview${status.error ? `: ${status.error.slice(0, 200)}` : ''}`);
    if (!status.audiences?.some((a) => this.issuer.audiences.includes(a))) return refused('TokenReview: audience not confirmed');
    if (status.user?.username !== principal.subject) return refused('TokenReview: another user');
    if (status.user.uid !== principal.claims.serviceAccountUID) return refused('TokenReview: another ServiceAccount uid');
    const until = Math.min(now + this.issuer.reviewCacheSeconds * 1000, principal.validUntil);
    return { validUntil: until, reason: '', until };
  }
}
