// The token endpoint's two forms, for the auth tests: GET (Docker: Basic or
// anonymous, scopes as query parameters) and the OAuth2 POST form.
import { basic, SERVICE } from './fixtures.js';

export interface TokenResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
}

export async function fetchToken(url: string, scopes: readonly string[], credentials?: { username: string; password: string }, extra: Record<string, string> = {}): Promise<TokenResponse> {
  const q = new URLSearchParams({ service: SERVICE, ...extra });
  for (const s of scopes) q.append('scope', s);
  const res = await fetch(`${url}/auth/token?${q.toString()}`, { headers: credentials ? { Authorization: basic(credentials.username, credentials.password) } : {} });
  return { status: res.status, body: await res.json() as Record<string, unknown>, headers: res.headers };
}

export async function postToken(url: string, form: Record<string, string>): Promise<TokenResponse> {
  const res = await fetch(`${url}/auth/token`, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: await res.json() as Record<string, unknown>, headers: res.headers };
}
