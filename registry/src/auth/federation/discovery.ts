// OIDC discovery (OpenID Connect Discovery 1.0, §4): <issuer>/.well-known/openid-configuration
// names the JWKS. The document must name the same issuer, exactly, and an https JWKS.
// Discovery runs on first use, not at start-up, so a registry starts while its
// issuer is down; a failure is retried at most every RETRY_MS.
import { issuerJson, IssuerUnreachableError, type IssuerConnection } from './https-client.js';

const RETRY_MS = 5_000;

export function discoveryURL(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

export async function discoverJwksURI(issuer: string, connection: IssuerConnection): Promise<URL> {
  const doc = await issuerJson(discoveryURL(issuer), connection);
  if (doc.issuer !== issuer) throw new IssuerUnreachableError(`discovery names issuer ${JSON.stringify(doc.issuer)}, expected ${issuer}`);
  if (typeof doc.jwks_uri !== 'string' || !doc.jwks_uri.startsWith('https://')) throw new IssuerUnreachableError('discovery has no https jwks_uri');
  return new URL(doc.jwks_uri);
}

/** A value computed once on first use; a failure is remembered for RETRY_MS, then retried. */
export function lazyRetrying<T>(compute: () => Promise<T>, now: () => number = () => Date.now()): () => Promise<T> {
  let value: Promise<T> | undefined;
  let failed: { at: number; error: Error } | undefined;
  return () => {
    if (value) return value;
    if (failed && now() - failed.at < RETRY_MS) return Promise.reject(failed.error);
    const attempt = compute();
    value = attempt;
    attempt.catch((err: unknown) => {
      failed = { at: now(), error: err instanceof Error ? err : new Error(String(err)) };
      if (value === attempt) value = undefined;
    });
    return attempt;
  };
}
