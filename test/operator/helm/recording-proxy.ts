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

  private constructor(private readonly server: http.Server, readonly url: string) {}

  static async start(upstreamServer: string, ca: Buffer): Promise<RecordingProxy> {
    const upstream = new URL(upstreamServer);
    const agent = new https.Agent({ ca, keepAlive: true });
    let proxy: RecordingProxy | undefined;
    const server = http.createServer((req, res) => {
      const out = https.request({
        hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url,
        headers: { ...req.headers, host: upstream.host }, agent,
      }, (up) => {
        const status = up.statusCode ?? 502;
        const attrs = rbacAttributes(req.method ?? 'GET', req.url ?? '/');
        const permission = attrs ? `${attrs.group} ${attrs.resource} ${attrs.verb}` : undefined;
        proxy!.calls.push({ method: req.method ?? 'GET', path: (req.url ?? '').split('?')[0], status, permission });
        // Server-side apply of an object that does not exist yet creates it (201), which the apiserver authorizes as "create" too.
        if (attrs && req.method === 'PATCH' && status === 201) {
          proxy!.calls.push({ method: req.method, path: (req.url ?? '').split('?')[0], status, permission: `${attrs.group} ${attrs.resource} create` });
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
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new RecordingProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  /** Sorted distinct permissions used by requests the apiserver did not refuse. */
  permissionsUsed(): string[] {
    return [...new Set(this.calls.filter((c) => c.status !== 403 && c.permission).map((c) => c.permission!))].sort();
  }

  forbidden(): RecordedCall[] {
    return this.calls.filter((c) => c.status === 403);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
