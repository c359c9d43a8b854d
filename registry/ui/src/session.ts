// The signed-in identity. The access token lives in this module's memory only;
// the refresh token is an HttpOnly cookie the page cannot read, which
// /ui/session/token trades for a new access token (on load, on expiry, or with a
// wider scope for a rollback).
export interface Session {
  readonly subject: string;
  /** False when the registry runs without authentication (everything is open). */
  readonly auth: boolean;
}

let token: string | undefined;
let expiresAt = 0;

export function accessToken(): string | undefined {
  return token && Date.now() < expiresAt - 5000 ? token : undefined;
}

function keep(body: { token?: string; access_token?: string; expires_in?: number }): void {
  token = body.access_token ?? body.token;
  expiresAt = Date.now() + (body.expires_in ?? 60) * 1000;
}

/** Resumes a session from the cookie; anonymous when there is none. */
export async function resume(scope?: string): Promise<Session> {
  const res = await fetch('/ui/session/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: scope ? new URLSearchParams({ scope }).toString() : '',
  });
  if (res.status === 404 || res.status === 405) {
    token = undefined;
    return { subject: 'anonymous', auth: false };
  }
  if (res.status === 200) {
    const body = (await res.json()) as { access_token: string; expires_in?: number; subject: string };
    keep(body);
    return { subject: body.subject, auth: true };
  }
  token = undefined;
  return { subject: 'anonymous', auth: true };
}

export async function signIn(username: string, password: string): Promise<Session> {
  const res = await fetch('/auth/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', client_id: 'berth-ui', username, password }).toString(),
  });
  const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; subject?: string; error_description?: string };
  if (res.status !== 200 || !body.access_token) throw new Error(body.error_description ?? `sign-in failed (${res.status})`);
  keep(body);
  return { subject: body.subject ?? username, auth: true };
}

export async function signOut(): Promise<void> {
  token = undefined;
  await fetch('/ui/session/logout', { method: 'POST' });
}
