// The client side of the Docker token protocol (distribution docs/spec/auth/token.md):
// a 401 names a realm; we ask it for a token for the scope (with our credentials,
// if any) and retry. Tokens are cached per scope until shortly before they expire,
// so a busy cache asks the realm once per scope per token lifetime, and concurrent
// requests for one scope share one token request. A remote that asks for Basic
// gets Basic.
import type { IncomingMessage } from 'node:http';
import { parseChallenge } from './challenge.js';
import type { CredentialSource } from './credentials.js';
import { readSmallBody, type HttpTransport } from './http.js';

interface CachedToken {
  readonly header: string;
  readonly expiresAt: number;
  readonly generation: number;
}

/** Tokens are refreshed this long before the remote says they expire. */
const EXPIRY_MARGIN_MS = 10_000;
const DEFAULT_TOKEN_SECONDS = 60;

export class TokenAuth {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<boolean>>();
  private basic = false;

  constructor(private readonly transport: HttpTransport, private readonly credentials: CredentialSource) {}

  /** The Authorization header to send for `scope` before any challenge, when one is known. */
  header(scope: string): string | undefined {
    if (this.basic) return this.basicHeader();
    const cached = this.tokens.get(scope);
    if (cached && cached.expiresAt > Date.now() && cached.generation === this.credentials.generation) return cached.header;
    return undefined;
  }

  /** Answers a 401 for `scope`; false when there is nothing new to try (the remote refuses us). */
  async answer(res: IncomingMessage, scope: string, sent: string | undefined): Promise<boolean> {
    const challenge = parseChallenge(res.headers['www-authenticate']);
    if (!challenge) return false;
    if (challenge.scheme === 'basic') {
      const header = this.basicHeader();
      if (!header || header === sent) return false;
      this.basic = true;
      return true;
    }
    const key = scope;
    let pending = this.pending.get(key);
    if (!pending) {
      pending = this.fetchToken(challenge.params, scope, sent).finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    return pending;
  }

  private async fetchToken(params: Readonly<Record<string, string>>, scope: string, sent: string | undefined): Promise<boolean> {
    const cached = this.header(scope);
    if (cached && cached !== sent) return true; // another request got a fresh token meanwhile
    if (!params.realm) return false;
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    for (const s of new Set([scope, ...(params.scope ? params.scope.split(' ') : [])])) url.searchParams.append('scope', s);
    const generation = this.credentials.generation;
    const basic = this.basicHeader();
    const res = await this.transport.send({ method: 'GET', url, headers: basic ? { Authorization: basic } : {} });
    const body = await readSmallBody(res, 1024 * 1024);
    if (res.statusCode !== 200) return false;
    const doc = JSON.parse(body.toString('utf8')) as { token?: string; access_token?: string; expires_in?: number };
    const token = doc.token ?? doc.access_token;
    if (!token) return false;
    const header = `Bearer ${token}`;
    if (header === sent) return false;
    const seconds = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : DEFAULT_TOKEN_SECONDS;
    this.tokens.set(scope, { header, expiresAt: Date.now() + Math.max(seconds * 1000 - EXPIRY_MARGIN_MS, 1000), generation });
    return true;
  }

  private basicHeader(): string | undefined {
    const c = this.credentials.current();
    return c && `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
  }
}
