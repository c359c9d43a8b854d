// What every handler receives, and the small HTTP helpers they share.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RegistryConfig } from '#contract/config/schema.js';
import type { AccessController, Grant } from '../../auth/access.js';
import { Code, RegistryError } from '../../errors.js';
import type { PullRecorder } from '../../events/event-listener.js';
import type { GcService } from '../../gc/service.js';
import type { GcStatus } from '../../gc/status.js';
import type { Browsing } from '../../read/browsing.js';
import type { ScrubService } from '../../scrub/service.js';
import type { Logger } from '../../log.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { CacheTarget } from '../../mirror/addressing.js';
import type { Mirror } from '../../mirror/mirror.js';
import type { QuotaGate } from '../../policy/quota-gate.js';
import type { Retention } from '../../policy/retention.js';
import type { MetadataIndex } from '../../metadata/index.js';
import type { BlobPresence } from '../../read/blob-presence.js';
import type { ManifestResolution } from '../../read/manifest-resolution.js';
import type { Listings } from '../../read/listings.js';
import type { ManifestBodies } from '../../limits/manifest-bodies.js';
import type { ReplicationService } from '../../replication/service.js';
import type { SupplyChain } from '../../supply-chain.js';
import type { RegistryStorage } from '../../storage/registry-storage.js';
import type { WritePath } from '../../write/write-path.js';
import type { Actor } from '../../write/write-events.js';

export interface Services {
  readonly config: RegistryConfig;
  /** Content reads go to the stores; every write goes through `writes`. */
  readonly storage: RegistryStorage;
  readonly writes: WritePath;
  /** The metadata index: listings, figures, history. */
  readonly index: MetadataIndex;
  readonly listings: Listings;
  /** Whether a repository may serve a blob (memory, index, then storage). */
  readonly blobPresence: BlobPresence;
  /** Which manifest a tag or digest names in a repository (memory, index, then storage). */
  readonly manifests: ManifestResolution;
  readonly pulls: PullRecorder;
  readonly access: AccessController;
  readonly quota: QuotaGate;
  readonly retention: Retention;
  readonly gc: GcService;
  /** The last collection, for the storage page. */
  readonly gcStatus: GcStatus;
  /** The browsing API's read models (repositories, artifacts, lineage). */
  readonly browsing: Browsing;
  /** The index repaired from storage: at start, after interrupted writes, on a schedule. */
  readonly scrub: ScrubService;
  /** The pull-through cache (a no-op without upstreams). */
  readonly mirror: Mirror;
  /** Sync and replication rules (none configured: an empty service). */
  readonly replication: ReplicationService;
  /** Scanning, the vulnerability database, trusted keys and the pull gate. */
  readonly security: SupplyChain;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Reused buffers manifest bodies are read into. */
  readonly manifestBodies: ManifestBodies;
}

export interface Ctx {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly services: Services;
  /** Repository name (validated), empty for registry-level routes; a cached repository's full name (`docker.io/library/alpine`). */
  readonly repo: string;
  /** Set when the repository is in a pull-through cache's namespace. */
  readonly cache?: CacheTarget;
  /** Path parameters after the name (reference, digest, upload id). */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  grant?: Grant;
}

/** Who is asking, for the write path and events. */
export function actorOf(ctx: Ctx): Actor {
  return { subject: ctx.grant?.subject ?? 'anonymous', remote: ctx.req.socket.remoteAddress };
}

/** True when the request carries a body (a non-zero Content-Length or chunked encoding). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

/** Content-Length as a number, or undefined; SIZE_INVALID when malformed. */
export function contentLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new RegistryError(Code.SIZE_INVALID, { contentLength: raw });
  return Number(raw);
}

export function send(res: ServerResponse, status: number, headers: Record<string, string | number | string[]>, body?: Buffer | string): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (body === undefined) {
    if (!res.hasHeader('Content-Length')) res.setHeader('Content-Length', 0);
    res.writeHead(status).end();
    return;
  }
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.setHeader('Content-Length', bytes.length);
  res.writeHead(status).end(bytes);
}

export function sendJSON(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  send(res, status, { 'Content-Type': 'application/json', ...headers }, JSON.stringify(value));
}

/** Path of a repository resource, for Location headers (relative URLs are allowed by the spec). */
export function v2Path(repo: string, ...rest: string[]): string {
  return `/v2/${repo}/${rest.join('/')}`;
}

export function parsePageSize(query: URLSearchParams): number | undefined {
  const n = query.get('n');
  if (n === null || n === '') return undefined;
  if (!/^\d+$/.test(n)) throw new RegistryError(Code.PAGINATION_NUMBER_INVALID, { n });
  return Number(n);
}
