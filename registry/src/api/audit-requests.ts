// Feeds the audit log from the HTTP server without touching the request path: an
// AccessController decorator remembers who each request was authorised as (or what
// it claimed when refused), and a second 'request' listener writes the line when the
// response closes. Reads are audited only when denied.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Access, AccessController, Grant } from '../auth/access.js';
import { Code, hasCode } from '../errors.js';
import { matchRoute } from './routes.js';
import type { AuditSink } from '../events/audit-log.js';

const WRITES = new Set(['PUT', 'POST', 'PATCH', 'DELETE']);

export class AuditedAccess implements AccessController {
  private readonly subjects = new WeakMap<IncomingMessage, string>();
  private readonly identities = new WeakMap<IncomingMessage, Readonly<Record<string, string>>>();

  constructor(private readonly inner: AccessController) {}

  async authorize(req: IncomingMessage, access: readonly Access[], optional?: readonly Access[]): Promise<Grant> {
    try {
      const grant = await this.inner.authorize(req, access, optional);
      this.remember(req, grant);
      return grant;
    } catch (err) {
      this.subjects.set(req, claimedSubject(req));
      // Refused for want of access, not of identity: the verified subject is known.
      if (hasCode(err, Code.DENIED)) await this.inner.identify(req).then((g) => this.remember(req, g), () => undefined);
      throw err;
    }
  }

  async identify(req: IncomingMessage): Promise<Grant> {
    try {
      const grant = await this.inner.identify(req);
      this.remember(req, grant);
      return grant;
    } catch (err) {
      this.subjects.set(req, claimedSubject(req));
      throw err;
    }
  }

  private remember(req: IncomingMessage, grant: Grant): void {
    this.subjects.set(req, grant.subject);
    if (grant.audit) this.identities.set(req, grant.audit);
  }

  subjectOf(req: IncomingMessage): string | undefined {
    return this.subjects.get(req);
  }

  /** Facts about a federated identity (issuer, pod and its uid, ...), when the request had one. */
  identityOf(req: IncomingMessage): Readonly<Record<string, string>> | undefined {
    return this.identities.get(req);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** What the client said it was, for refused requests: a Basic username, "bearer", or "anonymous". */
function claimedSubject(req: IncomingMessage): string {
  const header = req.headers.authorization ?? '';
  const basic = /^Basic\s+(.+)$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const user = decoded.slice(0, Math.max(decoded.indexOf(':'), 0));
    return user ? `claimed:${user}` : 'anonymous';
  }
  return /^Bearer\s/i.test(header) ? 'bearer' : 'anonymous';
}

function describe(req: IncomingMessage): { path: string; action: string; repository?: string; tag?: string } {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  if (path.startsWith('/v2')) {
    const match = matchRoute(path.replace(/^\/v2\/?/, ''));
    if (match) return { path, action: `${match.route.name}.${req.method?.toLowerCase()}`, repository: match.repo || undefined };
  }
  const restore = RESTORE.exec(path);
  if (restore) return { path, action: 'tag.restore', repository: restore[1], tag: safeDecode(restore[2]) };
  return { path, action: `${path}.${req.method?.toLowerCase()}` };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The browsing API's one write: `POST /api/v1/repositories/{name}/-/tags/{tag}/restore`. */
const RESTORE = /^\/api\/v1\/repositories\/(.+)\/-\/tags\/([^/]+)\/restore$/;

const noted = new WeakMap<ServerResponse, { digest?: string; detail?: Record<string, unknown> }>();

/** Adds what a handler knows (the digest a tag was moved to, the previous one) to its request's record. */
export function noteAudit(res: ServerResponse, facts: { digest?: string; detail?: Record<string, unknown> }): void {
  noted.set(res, facts);
}

export function auditRequests(server: Server, audit: AuditSink, access: AuditedAccess): void {
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const remote = req.socket.remoteAddress; // read now: by 'close' an aborted request's socket may be detached (null)
    res.on('close', () => {
      const status = res.writableFinished ? res.statusCode : 499;
      const denied = status === 401 || status === 403;
      if (!denied && !WRITES.has(req.method ?? '')) return;
      const { path, action, repository, tag } = describe(req);
      // Logins and the UI's session refreshes are audited only when refused.
      if ((path === '/auth/token' || path.startsWith('/ui/session/')) && !denied) return;
      audit.record({
        time: new Date().toISOString(),
        actor: access.subjectOf(req) ?? claimedSubject(req),
        identity: access.identityOf(req),
        action, method: req.method ?? '', path, repository, ...(tag ? { tag } : {}),
        ...noted.get(res),
        remote,
        status,
        result: denied ? 'denied' : status < 400 ? 'success' : 'failure',
      });
    });
  });
}
