// HTTP to a remote registry: keep-alive connections, a deadline for the response
// headers (a dead or blackholed remote costs one timeout, not a hang), an idle
// timeout on bodies, and redirects followed without leaking credentials to
// another origin (Docker Hub sends blob downloads to a CDN).
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import type { RemoteTlsConfig } from '#contract/config/mirror.js';

/** The remote did not answer in time or the connection failed: it is unavailable. */
export class RemoteUnreachableError extends Error {
  override name = 'RemoteUnreachableError';
  constructor(readonly url: string, readonly reason: string, options?: { cause?: unknown }) {
    super(`${url}: ${reason}`, options);
  }
}

export interface HttpRequest {
  readonly method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  readonly url: URL;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: Buffer | Readable;
  /** Deadline for the response headers; defaults to the transport's. */
  readonly timeoutMs?: number;
}

const MAX_REDIRECTS = 5;

export class HttpTransport {
  private readonly http = new HttpAgent({ keepAlive: true, maxSockets: 128 });
  private readonly https: HttpsAgent;

  constructor(tls: RemoteTlsConfig, private readonly timeoutMs: number, private readonly idleTimeoutMs: number) {
    this.https = new HttpsAgent({
      keepAlive: true, maxSockets: 128, rejectUnauthorized: !tls.insecureSkipVerify,
      ...(tls.caFile ? { ca: readFileSync(tls.caFile, 'utf8') } : {}),
    });
  }

  /** One request; the caller reads or discards the body (so the connection is reused). */
  send(req: HttpRequest): Promise<IncomingMessage> {
    const url = req.url;
    const secure = url.protocol === 'https:';
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    return new Promise((resolve, reject) => {
      const out = (secure ? httpsRequest : httpRequest)(url, { method: req.method, headers: req.headers, agent: secure ? this.https : this.http });
      const deadline = setTimeout(() => out.destroy(new RemoteUnreachableError(url.origin, `no response within ${timeoutMs} ms`)), timeoutMs);
      out.setTimeout(this.idleTimeoutMs, () => out.destroy(new RemoteUnreachableError(url.origin, `idle for ${this.idleTimeoutMs} ms`)));
      out.once('response', (res) => {
        clearTimeout(deadline);
        resolve(res);
      });
      // Kept for the whole exchange: a failure after the headers reaches the body's reader.
      out.on('error', (err) => {
        clearTimeout(deadline);
        reject(err instanceof RemoteUnreachableError ? err : new RemoteUnreachableError(url.origin, (err).message, { cause: err }));
      });
      if (req.body === undefined) out.end();
      else if (Buffer.isBuffer(req.body)) out.end(req.body);
      else {
        req.body.once('error', (err) => out.destroy(err));
        req.body.pipe(out);
      }
    });
  }

  /**
   * A GET or HEAD that follows redirects. Headers from `authorize` go only to the
   * original origin: a redirect elsewhere (a CDN, a presigned URL) gets none.
   */
  async follow(req: HttpRequest): Promise<IncomingMessage> {
    let url = req.url;
    for (let hop = 0; ; hop++) {
      const headers = url.origin === req.url.origin ? req.headers : withoutAuthorization(req.headers);
      const res = await this.send({ ...req, url, headers });
      const location = res.headers.location;
      if (![301, 302, 303, 307, 308].includes(res.statusCode ?? 0) || !location || hop >= MAX_REDIRECTS) return res;
      res.resume();
      url = new URL(location, url);
    }
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

function withoutAuthorization(headers: OutgoingHttpHeaders | undefined): OutgoingHttpHeaders {
  const copy: OutgoingHttpHeaders = { ...headers };
  for (const k of Object.keys(copy)) if (k.toLowerCase() === 'authorization') delete copy[k];
  return copy;
}

/** Reads a small body whole (manifests, JSON), refusing more than `limit` bytes. */
export async function readSmallBody(res: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    res.destroy();
    throw new Error(`response of ${declared} bytes exceeds the ${limit}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      res.destroy();
      throw new Error(`response exceeds the ${limit}-byte limit`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, total);
}
