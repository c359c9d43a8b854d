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
}

export class FaultProxy {
  private readonly faults: Fault[] = [];
  /** Injected responses, as "METHOD path". */
  readonly injected: string[] = [];

  private constructor(private readonly server: http.Server, readonly kubeconfig: string) {}

  static async start(plane: Pick<ControlPlane, 'server' | 'certs' | 'dir'>, name = 'fault-proxy'): Promise<FaultProxy> {
    const upstream = new URL(plane.server);
    const tls = { ca: readFileSync(plane.certs.caCert), cert: readFileSync(plane.certs.adminCert), key: readFileSync(plane.certs.adminKey) };
    const agent = new https.Agent({ ...tls, keepAlive: true });
    let proxy: FaultProxy | undefined;
    const server = http.createServer((req, res) => {
      if (proxy?.intercept(req, res)) return;
      const out = https.request({
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
        agent,
      }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
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
    proxy = new FaultProxy(server, kubeconfig);
    return proxy;
  }

  /** Answers the next `count` requests matching method and path with `status`. */
  failNext(method: string, path: RegExp, count: number, status = 409, reason = 'Conflict'): void {
    this.faults.push({ method, path, status, reason, remaining: count });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private intercept(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const path = (req.url ?? '').split('?')[0];
    const fault = this.faults.find((f) => f.remaining > 0 && f.method === req.method && f.path.test(path));
    if (!fault) return false;
    fault.remaining--;
    this.injected.push(`${req.method} ${path}`);
    req.resume();
    res.writeHead(fault.status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({
      kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: fault.reason, code: fault.status,
      message: `injected by the test proxy: the object has been modified; please apply your changes to the latest version and try again`,
    }));
    return true;
  }
}
