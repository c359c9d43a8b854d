// The web UI's session: its access token lives in the page's memory only, and the
// refresh token in a cookie the page's scripts cannot read (HttpOnly), sent only
// over HTTPS or to localhost (Secure), never with a request another site starts
// (SameSite=Strict), and only to the session endpoints (Path=/ui/session). The UI
// signs in at the token endpoint with client_id=berth-ui, which sets the cookie
// instead of returning the refresh token; POST /ui/session/token trades the cookie
// for an access token (on load, on expiry, for a wider scope), and
// POST /ui/session/logout clears it.
import type { IncomingMessage, ServerResponse } from 'node:http';

export const UI_CLIENT_ID = 'berth-ui';
export const UI_SESSION_PATH = '/ui/session';
const COOKIE = 'berth_ui_refresh';

export class UiSessionCookie {
  constructor(private readonly ttlSeconds: number) {}

  set(res: ServerResponse, refreshToken: string): void {
    res.appendHeader('Set-Cookie', `${COOKIE}=${refreshToken}; Path=${UI_SESSION_PATH}; Max-Age=${this.ttlSeconds}; HttpOnly; Secure; SameSite=Strict`);
  }

  clear(res: ServerResponse): void {
    res.appendHeader('Set-Cookie', `${COOKIE}=; Path=${UI_SESSION_PATH}; Max-Age=0; HttpOnly; Secure; SameSite=Strict`);
  }

  read(req: IncomingMessage): string | undefined {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === COOKIE) return part.slice(eq + 1).trim() || undefined;
    }
    return undefined;
  }
}

/**
 * True when a browser request comes from this registry's own pages: an `Origin`
 * header, when sent, must name the host the request was sent to. With the
 * SameSite=Strict cookie this keeps other sites from using a session.
 */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
