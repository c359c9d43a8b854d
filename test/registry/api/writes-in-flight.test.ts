// The count of client writes in flight (what scans on push yield to) on a real
// registry: each upload or manifest PUT is counted while it runs and uncounted
// when it ends however it ends: answered, refused, cut by the client mid-body,
// or given up while waiting for a concurrency slot. A leak would hold every scan
// on push for its whole maximum delay.
import http from 'node:http';
import { createHash } from 'node:crypto';
import { startInProcessRegistry, type InProcessRegistry } from '../../harness/in-process-registry.js';

let registry: InProcessRegistry;
const inFlight = () => registry.running.services.writes.inFlight.inFlight;
const port = () => Number(new URL(registry.url).port);

beforeAll(async () => {
  // One upload slot and a short line, so a request can be seen waiting for a slot.
  registry = await startInProcessRegistry({ limits: { uploads: 1, queueSeconds: 1 } });
}, 60_000);

afterAll(async () => {
  await registry?.stop();
});

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (in flight: ${inFlight()})`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Starts a request declaring `declared` bytes, sends `sent` of them; `cut` destroys the socket. */
function partial(method: string, path: string, declared: number, sent: number) {
  const req = http.request({ host: '127.0.0.1', port: port(), method, path, headers: { 'Content-Length': String(declared), 'Content-Type': 'application/octet-stream' } });
  const answered = new Promise<number | string>((resolve) => {
    req.on('response', (res) => { res.resume(); res.on('end', () => resolve(res.statusCode!)); });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
  req.write(Buffer.alloc(sent, 1));
  return { cut: () => req.destroy(), answered };
}

async function uploadLocation(repo: string): Promise<string> {
  const res = await registry.client.call('POST', `/v2/${repo}/blobs/uploads/`);
  expect(res.status).toBe(202);
  return res.headers.get('location')!;
}

test('a PATCH cut by the client mid-body is counted while it runs, then not', async () => {
  const location = await uploadLocation('team/app');
  const upload = partial('PATCH', new URL(location, registry.url).pathname, 8 << 20, 256 << 10);
  await until('the PATCH to be counted', () => inFlight() === 1);
  upload.cut();
  await upload.answered;
  await until('the cut PATCH to be uncounted', () => inFlight() === 0);
});

test('a monolithic POST and a manifest PUT cut mid-body leave no count', async () => {
  const post = partial('POST', `/v2/team/app/blobs/uploads/?digest=sha256:${'0'.repeat(64)}`, 4 << 20, 64 << 10);
  const put = partial('PUT', '/v2/team/app/manifests/v1', 100_000, 1_000);
  await until('both to be counted', () => inFlight() === 2);
  post.cut();
  put.cut();
  await Promise.all([post.answered, put.answered]);
  await until('both to be uncounted', () => inFlight() === 0);
});

test('refused writes (a wrong digest, an invalid manifest) leave no count', async () => {
  const content = Buffer.from('not what the digest says');
  const wrong = await registry.client.call('POST', `/v2/team/app/blobs/uploads/?digest=sha256:${createHash('sha256').update('other').digest('hex')}`, {}, content);
  expect(wrong.status).toBe(400);
  const manifest = await registry.client.call('PUT', '/v2/team/app/manifests/v1', { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' }, Buffer.from('{"schemaVersion":'));
  expect(manifest.status).toBe(400);
  expect(inFlight()).toBe(0);
});

test('an upload waiting for a slot and cut there leaves no count once its wait ends', async () => {
  const location = await uploadLocation('team/app');
  const holder = partial('PATCH', new URL(location, registry.url).pathname, 8 << 20, 64 << 10);
  await until('the slot holder to be counted', () => inFlight() === 1);
  const waiter = partial('POST', `/v2/team/app/blobs/uploads/?digest=sha256:${'1'.repeat(64)}`, 1 << 20, 1_000);
  await until('the waiting upload to be counted', () => inFlight() === 2);
  waiter.cut();
  holder.cut();
  await Promise.all([holder.answered, waiter.answered]);
  await until('both to be uncounted', () => inFlight() === 0);
});

test('a completed push leaves no count', async () => {
  await registry.client.pushImage('team/app', 'v2');
  expect(inFlight()).toBe(0);
});
