// The registry's calls to a token issuer (OIDC discovery, JWKS, TokenReview): HTTPS
// only, an optional private CA, an optional bearer token re-read from its file on
// every call (projected ServiceAccount tokens rotate), bounded time and size.
import https from 'node:https';
import { readFile } from 'node:fs/promises';

export interface IssuerConnection {
  /** PEM CA bundle; undefined means the system CAs. */
  readonly ca?: Buffer;
  /** File holding a bearer token for the Authorization header. */
  readonly tokenFile?: string;
  readonly timeoutMs?: number;
}

export interface IssuerResponse {
  readonly status: number;
  readonly body: Buffer;
}

/** The issuer could not be asked (connection, TLS, timeout, unreadable token file). */
export class IssuerUnreachableError extends Error {
  override name = 'IssuerUnreachableError';
}

const MAX_BODY = 1024 * 1024;

export interface IssuerRequestInit {
  readonly method?: 'GET' | 'POST';
  readonly json?: unknown;
  readonly signal?: AbortSignal;
  /** The Kubernetes API server answers 406 unless the JWKS's own media type is acceptable. */
  readonly accept?: string;
}

export async function issuerRequest(url: string, connection: IssuerConnection, init: IssuerRequestInit = {}): Promise<IssuerResponse> {
  if (!url.startsWith('https://')) throw new IssuerUnreachableError(`refusing a non-https issuer URL ${url}`);
  const headers: Record<string, string> = { accept: init.accept ?? 'application/json' };
  if (connection.tokenFile) {
    let token: string;
    try {
      token = (await readFile(connection.tokenFile, 'utf8')).trim();
    } catch (err) {
      throw new IssuerUnreachableError(`token file ${connection.tokenFile}: ${(err as Error).message}`);
    }
    headers.authorization = `Bearer ${token}`;
  }
  const payload = init.json === undefined ? undefined : Buffer.from(JSON.stringify(init.json));
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: init.method ?? 'GET', headers, ca: connection.ca, timeout: connection.timeoutMs ?? 5000, signal: init.signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY) req.destroy(new IssuerUnreachableError(`${url}: response larger than ${MAX_BODY} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', (err) => reject(new IssuerUnreachableError(`${url}: ${err.message}`)));
    });
    req.on('timeout', () => req.destroy(new IssuerUnreachableError(`${url}: timed out`)));
    req.on('error', (err) => reject(err instanceof IssuerUnreachableError ? err : new IssuerUnreachableError(`${url}: ${err.message}`)));
    req.end(payload);
  });
}

/** GET a JSON document; any status but 200 or a body that is not a JSON object is an error. */
export async function issuerJson(url: string, connection: IssuerConnection, init: IssuerRequestInit = {}): Promise<Record<string, unknown>> {
  const res = await issuerRequest(url, connection, init);
  if (res.status < 200 || res.status > 299) throw new IssuerUnreachableError(`${url}: HTTP ${res.status}`);
  let doc: unknown;
  try {
    doc = JSON.parse(res.body.toString('utf8'));
  } catch {
    throw new IssuerUnreachableError(`${url}: not JSON`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new IssuerUnreachableError(`${url}: not a JSON object`);
  return doc as Record<string, unknown>;
}

/** jose's customFetch for createRemoteJWKSet, over issuerRequest; anything but 200 is unreachable. */
export function joseFetch(connection: IssuerConnection) {
  return async (url: string, options: { signal: AbortSignal }): Promise<Response> => {
    const res = await issuerRequest(url, connection, { signal: options.signal, accept: 'application/jwk-set+json, application/json' });
    if (res.status !== 200) throw new IssuerUnreachableError(`${url}: HTTP ${res.status}`);
    return new Response(res.body, { status: 200, headers: { 'content-type': 'application/json' } });
  };
}
