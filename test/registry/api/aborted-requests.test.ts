// Requests that end before their answer: chunked manifest bodies over the size
// limit, read and discarded up to a bound and then cut, with the access log and
// the audit log on (both write a line when the response closes, when an aborted
// request's socket may already be detached). The registry answers or cuts the
// connection, and keeps serving.
import http from 'node:http';
import { startRegistryProcess, type RegistryProcess } from '../../harness/registry-process.js';

let registry: RegistryProcess;

beforeAll(async () => {
  registry = await startRegistryProcess({ config: { log: { level: 'info', accessLog: true }, events: { auditLog: { enabled: true } } } });
}, 60_000);

afterAll(async () => {
  await registry?.stop();
});

/** PUTs `mib` MiB of a chunked manifest body; the answer's status and body, or the socket error. */
function putChunked(mib: number): Promise<string> {
  return new Promise((resolve) => {
    const req = http.request({
      host: '127.0.0.1', port: registry.port, method: 'PUT', path: '/v2/team/app/manifests/v1',
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    });
    req.setTimeout(20_000, () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const write = () => {
      while (sent < mib * 16) {
        sent++;
        if (!req.write(chunk)) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

const tooLarge = '413 {"errors":[{"code":"MANIFEST_INVALID","message":"manifest too large","detail":{"limit":4194304}}]}';

test('a chunked body over the manifest limit, within the drain bound: 413 with the JSON body', async () => {
  expect(await putChunked(5)).toBe(tooLarge);
}, 30_000);

test.each([20, 40])('a chunked body of %i MiB, beyond the drain bound: 413 or a cut connection, and the registry keeps serving', async (mib) => {
  expect([tooLarge, 'error ECONNRESET', 'error EPIPE']).toContain(await putChunked(mib));
  const res = await fetch(`${registry.url}/v2/`);
  expect(res.status).toBe(200);
  expect(registry.child.exitCode).toBeNull();
}, 30_000);

test('each request left an access log line, and the aborted ones an audit record', async () => {
  const lines = (await registry.log()).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const puts = lines.filter((l) => l.msg === 'request' && l.method === 'PUT');
  expect(puts.length).toBe(3);
  expect(puts.every((l) => l.remote === '127.0.0.1')).toBe(true);
  expect(lines.some((l) => l.msg === 'unhandled error' || l.level === 'fatal')).toBe(false);
});
