// /healthz (the process is alive), /readyz (it can do its job: connected, and
// caches synced if leader) and /metrics (Prometheus text format).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthChecks {
  healthy(): boolean;
  ready(): boolean;
}

export async function startHealthServer(host: string, port: number, checks: HealthChecks, metrics: Registry): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'Content-Type': type });
      res.end(body);
    };
    if (path === '/healthz') return checks.healthy() ? reply(200, 'ok\n') : reply(500, 'unhealthy\n');
    if (path === '/readyz') return checks.ready() ? reply(200, 'ok\n') : reply(503, 'not ready\n');
    if (path === '/metrics') {
      metrics.metrics().then((text) => reply(200, text, metrics.contentType), (err) => reply(500, String(err)));
      return;
    }
    reply(404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

export function boundPort(server: http.Server): number {
  return (server.address() as AddressInfo).port;
}
