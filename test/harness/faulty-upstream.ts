// A fault-injecting HTTP proxy in front of an upstream registry. It forwards
// every request, logs it (so tests count what reached the upstream), sends Docker
// Hub's rate-limit headers (remaining drops on each manifest GET, as Hub counts
// pulls), and on demand fails the way upstreams fail:
//   down        connections refused (the listener is closed)
//   blackhole   connections accepted, never answered
//   slow        response headers delayed, bodies trickled
//   reset@N     a blob body cut (connection reset) after byte N
//   corrupt@N   byte N of a blob body flipped
//   status      every request answered with e.g. 500
//   ratelimit   429 with Retry-After
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type Fault =
  | { readonly kind: 'none' }
  | { readonly kind: 'down' }
  | { readonly kind: 'blackhole' }
  | { readonly kind: 'slow'; readonly delayMs: number; readonly bytesPerSecond?: number }
  | { readonly kind: 'reset'; readonly atByte: number }
  | { readonly kind: 'corrupt'; readonly atByte: number }
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'ratelimit'; readonly retryAfterSeconds: number };

export type RequestKind = 'manifest-get' | 'manifest-head' | 'blob-get' | 'blob-head' | 'tags' | 'referrers' | 'token' | 'push' | 'base' | 'other';

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly kind: RequestKind;
  readonly range?: string;
  status?: number;
}

export interface FaultOptions {
  /** Only requests of these kinds meet the fault (default: every request). */
  readonly only?: readonly RequestKind[];
  /** Only the next N of them (default: until the fault is changed). */
  readonly times?: number;
}

export function kindOf(method: string, path: string): RequestKind {
  if (path.startsWith('/auth/token') || path.startsWith('/token')) return 'token';
  if (path === '/v2/' || path === '/v2') return 'base';
  if (method !== 'GET' && method !== 'HEAD') return 'push';
  if (/\/manifests\/[^/]+$/.test(path)) return method === 'GET' ? 'manifest-get' : 'manifest-head';
  if (/\/blobs\/[^/]+$/.test(path) && !path.includes('/uploads/')) return method === 'GET' ? 'blob-get' : 'blob-head';
  if (path.endsWith('/tags/list')) return 'tags';
  if (/\/referrers\//.test(path)) return 'referrers';
  return 'other';
}

export class FaultyUpstream {
  readonly requests: LoggedRequest[] = [];
  private fault: Fault = { kind: 'none' };
  private options: FaultOptions = {};
  private left = Infinity;
  private server: Server;
  private readonly sockets = new Set<Socket>();
  private remaining = 100;

  private constructor(private readonly target: string, readonly port: number) {
    this.server = this.newServer();
  }

  /** Starts a proxy to `target` (http://host:port) on a free loopback port. */
  static async start(target: string): Promise<FaultyUpstream> {
    const proxy = new FaultyUpstream(target, 0);
    await proxy.listen(0);
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.boundPort}`;
  }

  get host(): string {
    return `127.0.0.1:${this.boundPort}`;
  }

  private boundPort = 0;

  /** Sets the fault for the requests that follow (none restores normal service). */
  async set(fault: Fault, options: FaultOptions = {}): Promise<void> {
    const wasDown = this.fault.kind === 'down';
    this.fault = fault;
    this.options = options;
    this.left = options.times ?? Infinity;
    if (fault.kind === 'down' && !wasDown) {
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
      for (const s of this.sockets) s.destroy();
    } else if (fault.kind !== 'down' && wasDown) {
      this.server = this.newServer();
      await this.listen(this.boundPort);
    }
    if (fault.kind !== 'blackhole') for (const s of this.sockets) if ((s as Socket & { held?: boolean }).held) s.destroy();
  }

  /** Requests of `kind` (or all) logged since the last `clear()`. */
  count(...kinds: RequestKind[]): number {
    return this.requests.filter((r) => kinds.length === 0 || kinds.includes(r.kind)).length;
  }

  /** Requests that reached the upstream, by kind, for reports: "manifest-get=1 blob-get=2". */
  summary(): string {
    const counts = new Map<string, number>();
    for (const r of this.requests) counts.set(r.kind, (counts.get(r.kind) ?? 0) + 1);
    return [...counts].sort().map(([k, n]) => `${k}=${n}`).join(' ') || 'none';
  }

  clear(): void {
    this.requests.length = 0;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private newServer(): Server {
    const server = createServer((req, res) => this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    return server;
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.boundPort = (this.server.address() as { port: number }).port;
        resolve();
      });
    });
  }

  private applies(kind: RequestKind): boolean {
    if (this.fault.kind === 'none' || (this.options.only && !this.options.only.includes(kind)) || this.left <= 0) return false;
    this.left--;
    return true;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    const kind = kindOf(req.method ?? 'GET', path);
    const logged: LoggedRequest = { method: req.method ?? 'GET', path, kind, range: req.headers.range };
    this.requests.push(logged);
    res.on('finish', () => { logged.status = res.statusCode; });
    const fault = this.applies(kind) ? this.fault : { kind: 'none' as const };
    switch (fault.kind) {
      case 'blackhole':
        (req.socket as Socket & { held?: boolean }).held = true;
        req.resume();
        return;
      case 'status':
        req.resume();
        res.writeHead(fault.status, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"UNKNOWN","message":"injected"}]}');
        return;
      case 'ratelimit':
        req.resume();
        res.writeHead(429, { 'Retry-After': String(fault.retryAfterSeconds), 'Content-Type': 'application/json' })
          .end('{"errors":[{"code":"TOOMANYREQUESTS","message":"injected"}]}');
        return;
      case 'slow':
        setTimeout(() => this.forward(req, res, kind, fault), fault.delayMs);
        return;
      default:
        this.forward(req, res, kind, fault);
    }
  }

  private forward(req: IncomingMessage, res: ServerResponse, kind: RequestKind, fault: Fault): void {
    const url = new URL(req.url ?? '/', this.target);
    const upstream = httpRequest(url, { method: req.method, headers: req.headers }, (up) => {
      const headers = { ...up.headers };
      if (kind === 'manifest-get' && up.statusCode === 200) this.remaining = Math.max(0, this.remaining - 1);
      headers['ratelimit-limit'] = '100;w=21600';
      headers['ratelimit-remaining'] = `${this.remaining};w=21600`;
      res.writeHead(up.statusCode ?? 502, headers);
      const tampered = kind === 'blob-get' && (fault.kind === 'reset' || fault.kind === 'corrupt' || (fault.kind === 'slow' && fault.bytesPerSecond));
      if (!tampered) {
        up.pipe(res);
        return;
      }
      // Offsets are the blob's: a resumed (206) body starts where its Content-Range says, so a reset at byte N happens once.
      let offset = Number(/^bytes (\d+)-/.exec(String(up.headers['content-range'] ?? ''))?.[1] ?? 0);
      up.on('data', (chunk: Buffer) => {
        if (fault.kind === 'reset' && offset < fault.atByte && offset + chunk.length > fault.atByte) {
          // The cut comes once the bytes before it are in the kernel and the reader has had time to take
          // them: a reset discards what is still queued, so an early one would cut at byte 0, not at N.
          up.destroy();
          res.write(chunk.subarray(0, fault.atByte - offset), () => setTimeout(() => res.socket?.resetAndDestroy(), 250));
          return;
        }
        if (fault.kind === 'corrupt' && offset <= fault.atByte && fault.atByte < offset + chunk.length) {
          chunk = Buffer.from(chunk);
          chunk[fault.atByte - offset] ^= 0xff;
        }
        offset += chunk.length;
        // Paused for the trickle and/or for the client; resumed when neither holds it.
        let holds = 0;
        const hold = () => { holds++; up.pause(); };
        const free = () => { if (--holds === 0) up.resume(); };
        if (fault.kind === 'slow' && fault.bytesPerSecond) {
          hold();
          setTimeout(free, (chunk.length / fault.bytesPerSecond) * 1000);
        }
        if (!res.write(chunk)) {
          hold();
          res.once('drain', free);
        }
      });
      up.on('end', () => res.end());
      up.on('error', () => res.destroy());
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}
