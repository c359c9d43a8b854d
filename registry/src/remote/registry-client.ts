// A client of one remote OCI registry: manifests, blobs, tags and referrers, read
// and written, with the token handshake, redirects, and every failure sorted into
// what the caller can act on (RemoteError.kind). A 404 is an answer (undefined),
// never an error.
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { RemoteTlsConfig } from '#contract/config/mirror.js';
import { MediaType } from '../manifest/media-types.js';
import type { Descriptor } from '../manifest/parse.js';
import type { Digest } from '../reference.js';
import { ANONYMOUS_SOURCE, type CredentialSource } from './credentials.js';
import { HttpTransport, RemoteUnreachableError, readSmallBody, type HttpRequest } from './http.js';
import { TokenAuth } from './token-auth.js';

/** What went wrong talking to a remote, as the caller decides on it. */
export type RemoteErrorKind =
  /** Down, too slow, 5xx or 429: try later (a cached copy may be served meanwhile). */
  | 'unavailable'
  /** 401/403 after the handshake: our credentials do not reach this content. */
  | 'denied'
  /** Any other refusal or a malformed answer. */
  | 'invalid';

export class RemoteError extends Error {
  override name = 'RemoteError';
  constructor(readonly kind: RemoteErrorKind, message: string, readonly status?: number, readonly retryAfterSeconds?: number) {
    super(message);
  }
}

export const MANIFEST_ACCEPT = [MediaType.OCI_INDEX, MediaType.OCI_MANIFEST, MediaType.DOCKER_MANIFEST_LIST, MediaType.DOCKER_MANIFEST].join(', ');

export interface RemoteManifestInfo {
  /** Docker-Content-Digest, when the remote sent one. */
  readonly digest?: string;
  readonly mediaType: string;
  readonly size: number;
}

export interface RemoteManifest extends RemoteManifestInfo {
  readonly body: Buffer;
}

export interface RemoteBlob {
  /** The body, from `start`; the caller must consume or destroy it. */
  readonly body: IncomingMessage;
  readonly start: number;
  /** Size of the whole blob, when the remote said. */
  readonly size?: number;
}

export interface RegistryClientOptions {
  readonly url: string;
  readonly tls?: RemoteTlsConfig;
  readonly credentials?: CredentialSource;
  /** Deadline for response headers. */
  readonly timeoutMs: number;
  /** A body that sends nothing for this long fails. */
  readonly idleTimeoutMs?: number;
  readonly maxManifestBytes?: number;
  /** Sees every request to the registry: its response (rate-limit headers), or undefined when none came. */
  readonly observe?: (method: string, res: IncomingMessage | undefined) => void;
}

type Method = HttpRequest['method'];

export class RegistryClient {
  private readonly transport: HttpTransport;
  private readonly auth: TokenAuth;
  private readonly base: URL;
  private readonly maxManifestBytes: number;

  constructor(private readonly options: RegistryClientOptions) {
    this.base = new URL(options.url);
    this.transport = new HttpTransport(options.tls ?? { insecureSkipVerify: false }, options.timeoutMs, options.idleTimeoutMs ?? Math.max(options.timeoutMs * 15, 30_000));
    this.auth = new TokenAuth(this.transport, options.credentials ?? ANONYMOUS_SOURCE);
    this.maxManifestBytes = options.maxManifestBytes ?? 4 * 1024 * 1024;
  }

  get origin(): string {
    return this.base.origin;
  }

  url(path: string): URL {
    return new URL(`${this.base.pathname.replace(/\/+$/, '')}/v2/${path}`, this.base);
  }

  /** `GET /v2/` without credentials: the status the registry answered (a 401 challenge included); RemoteError 'unavailable' when none came. */
  async probe(): Promise<number> {
    let res: IncomingMessage;
    try {
      res = await this.transport.send({ method: 'GET', url: new URL(`${this.base.pathname.replace(/\/+$/, '')}/v2/`, this.base) });
    } catch (err) {
      if (err instanceof RemoteUnreachableError) throw new RemoteError('unavailable', err.message);
      throw err;
    }
    res.resume();
    return res.statusCode ?? 0;
  }

  async headManifest(repo: string, reference: string): Promise<RemoteManifestInfo | undefined> {
    const res = await this.call('HEAD', repo, 'pull', this.url(`${repo}/manifests/${reference}`), { Accept: MANIFEST_ACCEPT });
    res.resume();
    if (res.statusCode === 404) return undefined;
    this.expect(res, [200], `HEAD manifest ${repo}:${reference}`);
    return { digest: header(res, 'docker-content-digest'), mediaType: mediaTypeOf(res), size: Number(res.headers['content-length'] ?? 0) };
  }

  async getManifest(repo: string, reference: string): Promise<RemoteManifest | undefined> {
    const res = await this.call('GET', repo, 'pull', this.url(`${repo}/manifests/${reference}`), { Accept: MANIFEST_ACCEPT });
    if (res.statusCode === 404) {
      res.resume();
      return undefined;
    }
    this.expect(res, [200], `GET manifest ${repo}:${reference}`);
    const body = await this.readBody(res, this.maxManifestBytes);
    return { digest: header(res, 'docker-content-digest'), mediaType: mediaTypeOf(res), size: body.length, body };
  }

  async headBlob(repo: string, digest: Digest): Promise<{ size: number } | undefined> {
    const res = await this.call('HEAD', repo, 'pull', this.url(`${repo}/blobs/${digest.value}`), {}, true);
    res.resume();
    if (res.statusCode === 404) return undefined;
    this.expect(res, [200], `HEAD blob ${repo}@${digest.value}`);
    return { size: Number(res.headers['content-length'] ?? 0) };
  }

  /** Downloads a blob from `offset` (a Range request when > 0); undefined when the remote has no such blob. */
  async getBlob(repo: string, digest: Digest, offset = 0): Promise<RemoteBlob | undefined> {
    const headers: OutgoingHttpHeaders = offset > 0 ? { Range: `bytes=${offset}-` } : {};
    const res = await this.call('GET', repo, 'pull', this.url(`${repo}/blobs/${digest.value}`), headers, true);
    if (res.statusCode === 404) {
      res.resume();
      return undefined;
    }
    this.expect(res, offset > 0 ? [206] : [200], `GET blob ${repo}@${digest.value}`);
    if (offset > 0) {
      const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
      if (!range || Number(range[1]) !== offset) {
        res.destroy();
        throw new RemoteError('invalid', `GET blob ${repo}@${digest.value}: the remote did not resume at byte ${offset}`);
      }
      return { body: res, start: offset, size: range[3] === '*' ? undefined : Number(range[3]) };
    }
    const length = res.headers['content-length'];
    return { body: res, start: 0, size: length === undefined ? undefined : Number(length) };
  }

  /** Every tag of a repository, following pagination; undefined when the repository is unknown. */
  async tags(repo: string): Promise<string[] | undefined> {
    const out: string[] = [];
    let url: URL | undefined = this.url(`${repo}/tags/list?n=1000`);
    while (url) {
      const res = await this.call('GET', repo, 'pull', url, { Accept: 'application/json' });
      if (res.statusCode === 404) {
        res.resume();
        return out.length ? out : undefined;
      }
      this.expect(res, [200], `GET tags ${repo}`);
      const doc = JSON.parse((await this.readBody(res, 64 * 1024 * 1024)).toString('utf8')) as { tags?: string[] | null };
      out.push(...(doc.tags ?? []));
      const next = /<([^>]+)>;\s*rel="?next"?/.exec(String(res.headers.link ?? ''));
      url = next ? new URL(next[1], this.base) : undefined;
    }
    return out;
  }

  /** The referrers of a manifest (OCI 1.1); undefined when the remote has no referrers API. */
  async referrers(repo: string, digest: Digest): Promise<Descriptor[] | undefined> {
    const res = await this.call('GET', repo, 'pull', this.url(`${repo}/referrers/${digest.value}`), { Accept: MediaType.OCI_INDEX });
    if (res.statusCode !== 200) {
      res.resume();
      if (res.statusCode === 404 || res.statusCode === 405 || res.statusCode === 400) return undefined;
      this.expect(res, [200], `GET referrers ${repo}@${digest.value}`);
    }
    const doc = JSON.parse((await this.readBody(res, this.maxManifestBytes)).toString('utf8')) as { manifests?: Descriptor[] };
    return Array.isArray(doc.manifests) ? doc.manifests : undefined;
  }

  /** Uploads a blob the remote lacks (POST, then one PUT with the whole body). */
  async pushBlob(repo: string, digest: Digest, size: number, open: () => Promise<Readable>): Promise<void> {
    const start = await this.call('POST', repo, 'pull,push', this.url(`${repo}/blobs/uploads/`), { 'Content-Length': 0 });
    start.resume();
    this.expect(start, [202], `POST upload ${repo}`);
    const location = new URL(String(start.headers.location ?? ''), this.url(''));
    location.searchParams.set('digest', digest.value);
    const put = await this.call('PUT', repo, 'pull,push', location, { 'Content-Length': size, 'Content-Type': 'application/octet-stream' }, false, await open());
    put.resume();
    this.expect(put, [201, 204], `PUT blob ${repo}@${digest.value}`);
  }

  async putManifest(repo: string, reference: string, body: Buffer, mediaType: string): Promise<void> {
    const res = await this.call('PUT', repo, 'pull,push', this.url(`${repo}/manifests/${reference}`), { 'Content-Type': mediaType, 'Content-Length': body.length }, false, body);
    await this.readBody(res, 64 * 1024).catch(() => undefined);
    this.expect(res, [201, 200, 204], `PUT manifest ${repo}:${reference}`);
  }

  close(): void {
    this.transport.close();
  }

  /**
   * Sends a request with the scope's credentials and answers one challenge. A
   * streamed body can be sent once only: its request must follow one that already
   * won a token for the scope (the upload's POST does).
   */
  private async call(method: Method, repo: string, actions: string, url: URL, headers: OutgoingHttpHeaders, follow = false,
    body?: Buffer | Readable): Promise<IncomingMessage> {
    const scope = `repository:${repo}:${actions}`;
    for (let attempt = 0; ; attempt++) {
      const authorization = this.auth.header(scope);
      const request: HttpRequest = { method, url, headers: { ...headers, ...(authorization ? { Authorization: authorization } : {}) }, body };
      let res: IncomingMessage;
      try {
        res = follow ? await this.transport.follow(request) : await this.transport.send(request);
      } catch (err) {
        this.options.observe?.(method, undefined);
        if (err instanceof RemoteUnreachableError) throw new RemoteError('unavailable', err.message);
        throw err;
      }
      this.options.observe?.(method, res);
      if (res.statusCode !== 401 || attempt > 0 || (body !== undefined && !Buffer.isBuffer(body))) return res;
      res.resume();
      let answered: boolean;
      try {
        answered = await this.auth.answer(res, scope, authorization);
      } catch (err) {
        throw new RemoteError('unavailable', `token request failed: ${(err as Error).message}`);
      }
      if (!answered) return res;
    }
  }

  /** Throws the RemoteError a status means, unless it is one of `ok`. */
  private expect(res: IncomingMessage, ok: number[], what: string): void {
    const status = res.statusCode ?? 0;
    if (ok.includes(status)) return;
    res.resume();
    if (status === 429 || status >= 500) {
      const retryAfter = Number(res.headers['retry-after']);
      throw new RemoteError('unavailable', `${what}: HTTP ${status}`, status, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
    }
    if (status === 401 || status === 403) throw new RemoteError('denied', `${what}: HTTP ${status}`, status);
    throw new RemoteError('invalid', `${what}: HTTP ${status}`, status);
  }

  private async readBody(res: IncomingMessage, limit: number): Promise<Buffer> {
    try {
      return await readSmallBody(res, limit);
    } catch (err) {
      // A body cut short is the remote failing; one over the limit is the remote sending nonsense.
      throw new RemoteError(/exceeds the \d+-byte limit/.test((err as Error).message) ? 'invalid' : 'unavailable', (err as Error).message);
    }
  }
}

function header(res: IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return typeof v === 'string' && v ? v : undefined;
}

function mediaTypeOf(res: IncomingMessage): string {
  return String(res.headers['content-type'] ?? '').split(';')[0].trim();
}
