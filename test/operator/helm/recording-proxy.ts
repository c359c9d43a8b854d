// A loopback proxy in front of the apiserver that forwards every request with
// the client's own credentials (so RBAC applies to the caller, not to the proxy)
// and records what was asked as RBAC attributes: (API group, resource, verb),
// with the answer's status. This is how the chart's RBAC is compared with the
// calls the operator really makes.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** The start of the answer of a failed request other than 404/409 (a Status object), for diagnosis. */
  readonly failure?: string;
  /** "group resource verb" as an RBAC rule names it ("core" for the core API); undefined for non-resource URLs. */
  readonly permission?: string;
}

/** The RBAC verb and resource of a request, as the apiserver's request-info resolver derives them. */
export function rbacAttributes(method: string, url: string): { group: string; resource: string; verb: string } | undefined {
  const u = new URL(url, 'http://x');
  const segs = u.pathname.split('/').filter(Boolean);
  let group: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 3) {
    group = 'core';
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 4) {
    group = segs[1];
    rest = segs.slice(3);
  } else {
    return undefined;
  }
  // namespaces/{ns}/{resource}/... except for the namespace object itself.
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const [resource, name, sub] = rest;
  const watch = u.searchParams.get('watch');
  let verb: string;
  switch (method) {
    case 'GET': verb = watch === 'true' || watch === '1' ? 'watch' : name ? 'get' : 'list'; break;
    case 'POST': verb = 'create'; break;
    case 'PUT': verb = 'update'; break;
    case 'PATCH': verb = 'patch'; break;
    case 'DELETE': verb = name ? 'delete' : 'deletecollection'; break;
    default: verb = method.toLowerCase();
  }
  return { group, resource: sub ? `${resource}/${sub}` : resource, verb };
}

export class RecordingProxy {
  readonly calls: RecordedCall[] = [];
  /** Requests that could not even be parsed (Node answers them 400 itself). */
  readonly clientErrors: string[] = [];

  private constructor(private readonly server: http.Server, readonly url: string) {}

  static async start(upstreamServer: string, ca: Buffer): Promise<RecordingProxy> {
    const upstream = new URL(upstreamServer);
    const agent = new https.Agent({ ca, keepAlive: true });
    // Requests come only once the port is known, after `proxy` below exists.
    const server = http.createServer((req, res) => {
      const out = https.request({
        hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url,
        headers: { ...req.headers, host: upstream.host }, agent,
      }, (up) => {
        const status = up.statusCode ?? 502;
        const attrs = rbacAttributes(req.method ?? 'GET', req.url ?? '/');
        const permission = attrs ? `${attrs.group} ${attrs.resource} ${attrs.verb}` : undefined;
        const call: { method: string; path: string; status: number; permission?: string; failure?: string } = { method: req.method ?? 'GET', path: (req.url ?? '').split('?')[0], status, permission };
        proxy.calls.push(call);
        if (status >= 400 && status !== 404 && status !== 409) {
          call.failure = '';
          up.on('data', (chunk: Buffer) => {
            if (call.failure!.length < 2048) call.failure += chunk.toString('utf8');
          });
        }
        // Server-side apply of an object that does not exist yet creates it (201), which the apiserver authorizes as "create" too.
        if (attrs && req.method === 'PATCH' && status === 201) {
          proxy.calls.push({ method: req.method, path: (req.url ?? '').split('?')[0], status, permission: `${attrs.group} ${attrs.resource} create` });
        }
        res.writeHead(status, up.headers);
        up.pipe(res);
        up.on('close', () => {
          if (!up.complete) res.destroy();
        });
      });
      out.on('error', () => res.destroy());
      res.on('close', () => out.destroy());
      req.pipe(out);
    });
    server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket) => {
      proxy.clientErrors.push(`${err.code ?? ''} ${err.message} ${err.rawPacket?.toString('utf8').slice(0, 300) ?? ''}`);
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new RecordingProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  /** Sorted distinct permissions used by requests the apiserver did not refuse. */
  permissionsUsed(): string[] {
    return [...new Set(this.calls.filter((c) => c.status !== 403 && c.permission).map((c) => c.permission!))].sort();
  }

  /** Requests the apiserver refused for a reason other than a missing object or a conflict. */
  failures(): RecordedCall[] {
    return this.calls.filter((c) => c.failure !== undefined);
  }

  forbidden(): RecordedCall[] {
    return this.calls.filter((c) => c.status === 403);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
