// The node-access agent, run by each Registry's node-access DaemonSet
// (controllers/registry/node-access.ts): installs the mounted ConfigMap into the
// node's certs.d, then keeps it in step (the kubelet updates the mounted files
// when the ConfigMap changes). /healthz answers while it runs, /readyz once the
// node has the current configuration. On SIGTERM it exits and leaves the files:
// a pod being replaced must not break the node's pulls in between.
import http from 'node:http';
import { parseArgs } from 'node:util';
import { install } from './install.js';

const RESYNC_MS = 5_000;

function log(level: string, msg: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, component: 'berth-node-agent', msg, ...fields }) + '\n');
}

function main(): void {
  const { values } = parseArgs({
    options: {
      source: { type: 'string' },
      target: { type: 'string' },
      owner: { type: 'string' },
      port: { type: 'string', default: '8081' },
    },
    strict: true,
  });
  const { source, target, owner } = values;
  if (!source || !target || !owner) throw new Error('usage: main.js --source DIR --target DIR --owner NAMESPACE/NAME [--port N]');
  let ready = false;
  const sync = () => {
    try {
      const r = install(source, target, owner);
      if (r.written.length || r.removed.length) log('info', 'installed', { target, written: r.written, removed: r.removed });
      ready = true;
    } catch (err) {
      ready = false;
      log('error', 'install failed', { error: String(err) });
    }
  };
  sync();
  const timer = setInterval(sync, RESYNC_MS);
  const server = http.createServer((req, res) => {
    const ok = req.url === '/healthz' || (req.url === '/readyz' && ready);
    res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n');
  }).listen(Number(values.port));
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      clearInterval(timer);
      server.close();
      log('info', 'stopping; the installed files stay', { signal: sig });
    });
  }
}

try {
  main();
} catch (err) {
  log('error', String(err instanceof Error ? err.message : err));
  process.exit(1);
}
