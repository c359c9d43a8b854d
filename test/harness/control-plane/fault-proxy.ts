// A loopback HTTP proxy in front of a control plane's apiserver that can answer
// chosen requests with an error instead of forwarding them, to prove a client
// recovers from responses (409 Conflict, 500, ...) that a healthy test cluster
// only produces by chance. Everything else, watches included, is streamed through.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ControlPlane } from './control-plane.js';

interface Fault {
  method: string;
  path: RegExp;
  status: number;
  reason: string;
  remaining: number;
  /** Only watch requests; answered as the apiserver does, with an ERROR event in a 200 stream. */
  watch: boolean;
}

const isWatch = (url: string) => /[?&]watch=(1|true)(&|$)/.test(url);

export class FaultProxy {
  private readonly faults: Fault[] = [];
  private readonly openWatches = new Set<{ res: http.ServerResponse; upstream: http.ClientRequest }>();
  /** Injected responses, as "METHOD path". */
  readonly injected: string[] = [];

  private constructor(private readonly server: http.Server, readonly kubeconfig: string) {}

  static async start(plane: Pick<ControlPlane, 'server' | 'certs' | 'dir'>, name = 'fault-proxy'): Promise<FaultProxy> {
    const upstream = new URL(plane.server);
    const tls = { ca: readFileSync(plane.certs.caCert), cert: readFileSync(plane.certs.adminCert), key: readFileSync(plane.certs.adminKey) };
    const agent = new https.Agent({ ...tls, keepAlive: true });
    const server = http.createServer((req, res) => {
      // Requests come only once the port is known, after `proxy` below exists.
      if (proxy.intercept(req, res)) return;
      const out = https.request({
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
        agent,
      }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (isWatch(req.url ?? '')) {
          const entry = { res, upstream: out };
          proxy?.openWatches.add(entry);
          res.on('close', () => proxy?.openWatches.delete(entry));
        }
        up.pipe(res);
        // pipe() does not end the downstream response when the upstream connection dies
        // (e.g. the apiserver is killed mid-watch); cut it so the client notices, as it would directly.
        up.on('close', () => {
          if (!up.complete) res.destroy();
        });
      });
      out.on('error', () => res.destroy());
      res.on('close', () => out.destroy());
      req.pipe(out);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const kubeconfig = join(plane.dir, `${name}.kubeconfig`);
    writeFileSync(kubeconfig, [
      'apiVersion: v1',
      'kind: Config',
      // client-node only speaks plain http when TLS verification is explicitly off.
      `clusters:\n- name: proxy\n  cluster:\n    server: http://127.0.0.1:${port}\n    insecure-skip-tls-verify: true`,
      'users:\n- name: proxy\n  user: {}',
      'contexts:\n- name: proxy\n  context:\n    cluster: proxy\n    user: proxy',
      'current-context: proxy',
      '',
    ].join('\n'));
    const proxy = new FaultProxy(server, kubeconfig);
    return proxy;
  }

  /** Answers the next `count` requests matching method and path with `status`. */
  failNext(method: string, path: RegExp, count: number, status = 409, reason = 'Conflict'): void {
    this.faults.push({ method, path, status, reason, remaining: count, watch: false });
  }

  /** Answers the next `count` watches of path with an ERROR event, e.g. 410 Expired ("too old resource version"). */
  failNextWatch(path: RegExp, count: number, status = 410, reason = 'Expired'): void {
    this.faults.push({ method: 'GET', path, status, reason, remaining: count, watch: true });
  }

  /** Ends every open watch cleanly, as the apiserver does when a watch times out; returns how many. */
  endWatches(): number {
    const n = this.openWatches.size;
    for (const { res, upstream } of this.openWatches) {
      upstream.destroy();
      res.end();
    }
    this.openWatches.clear();
    return n;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private intercept(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const url = req.url ?? '';
    const path = url.split('?')[0];
    const fault = this.faults.find((f) => f.remaining > 0 && f.method === req.method && f.path.test(path) && f.watch === isWatch(url));
    if (!fault) return false;
    fault.remaining--;
    this.injected.push(`${req.method} ${path}${fault.watch ? ' (watch)' : ''}`);
    req.resume();
    const status = {
      kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: fault.reason, code: fault.status,
      message: `injected by the test proxy (${fault.reason})`,
    };
    if (fault.watch) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ type: 'ERROR', object: status }) + '\n');
    } else {
      res.writeHead(fault.status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(status));
    }
    return true;
  }
}
