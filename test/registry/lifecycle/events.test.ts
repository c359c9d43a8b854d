// Events and audit: a webhook receiver in the test checks CloudEvents delivery,
// order and retries with backoff; a dead receiver never blocks pushes; the audit log
// records every write and every denied request; the admin endpoints need the admin.
import { once } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startInProcessRegistry, type InProcessRegistry } from '../../harness/in-process-registry.js';
import { ociImage, randomBlob } from '../../harness/oci-client.js';
import { ADMIN, authWorkspace } from '../auth/fixtures.js';
import { sleep } from './admin.js';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly event: any;
}

/** A webhook receiver that fails its first `failures` deliveries with 500. */
async function receiver(failures: number): Promise<{ server: Server; url: string; attempts: number; received: Received[] }> {
  const state = { attempts: 0, received: [] as Received[] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.attempts++;
      if (state.attempts <= failures) {
        res.writeHead(500).end();
        return;
      }
      state.received.push({ headers: req.headers, event: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return Object.assign(state, { server, url });
}

let hook: Awaited<ReturnType<typeof receiver>>;
let reg: InProcessRegistry;
let auditFile: string;
beforeAll(async () => {
  hook = await receiver(2);
  const dead = createServer();
  dead.listen(0, '127.0.0.1');
  await once(dead, 'listening');
  const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}/gone`;
  dead.close(); // nothing listens there any more
  auditFile = join(await import('node:os').then((os) => os.tmpdir()), `berth-audit-${process.pid}-${Date.now()}.jsonl`);
  reg = await startInProcessRegistry({
    repositories: [{ match: 'quota/app', quotaBytes: 1000 }],
    events: {
      webhooks: [
        { url: hook.url, events: ['push', 'pull', 'delete', 'quota-refused'], backoffSeconds: 0.05, maxRetries: 5, headers: { Authorization: 'Bearer hook-secret' } },
        { url: deadUrl, events: ['push'], backoffSeconds: 0.01, maxRetries: 1, timeoutSeconds: 1 },
      ],
      auditLog: { enabled: true, file: auditFile },
    },
  });
});
afterAll(async () => {
  await reg.stop();
  hook.server.close();
  await rm(auditFile, { force: true });
});

test('push, pull, delete and quota-refused arrive as CloudEvents, in order, after retries; a dead receiver blocks nothing', async () => {
  const image = await reg.client.pushImage('events/app', 'v1', ociImage(randomBlob(32), [randomBlob(64)]));
  const pull = await fetch(`${reg.url}/v2/events/app/manifests/v1`);
  expect(pull.status).toBe(200);
  await pull.arrayBuffer();
  expect((await fetch(`${reg.url}/v2/events/app/manifests/v1`, { method: 'DELETE' })).status).toBe(202);
  expect((await reg.client.uploadBlob('quota/app', randomBlob(2000))).status).toBe(403);

  for (let i = 0; i < 200 && hook.received.length < 4; i++) await sleep(25);
  await reg.running.events.flushed();

  expect(hook.attempts).toBe(hook.received.length + 2); // the first delivery was refused twice, then retried
  const events = hook.received.map((r) => r.event);
  expect(events.map((e) => e.type)).toEqual([
    'dev.berth.registry.push', 'dev.berth.registry.pull', 'dev.berth.registry.delete', 'dev.berth.registry.quota-refused',
  ]);
  for (const r of hook.received) {
    expect(r.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect(r.headers.authorization).toBe('Bearer hook-secret');
    expect(r.event).toEqual(expect.objectContaining({
      specversion: '1.0', source: 'urn:berth:registry', datacontenttype: 'application/json', id: expect.any(String),
    }));
    expect(new Date(r.event.time).toISOString()).toBe(r.event.time);
  }
  expect(new Set(events.map((e) => e.id)).size).toBe(4);
  expect(events[0]).toEqual(expect.objectContaining({ subject: 'events/app' }));
  expect(events[0].data).toEqual(expect.objectContaining({ repository: 'events/app', tags: ['v1'], digest: image.digest, actor: 'anonymous' }));
  expect(events[1].data).toEqual(expect.objectContaining({ reference: 'v1', digest: image.digest }));
  expect(events[2].data).toEqual(expect.objectContaining({ tag: 'v1' }));
  expect(events[3].data).toEqual(expect.objectContaining({ repository: 'quota/app', scope: 'quota/app', limitBytes: 1000, usedBytes: 0, requestedBytes: 2000 }));

  const metrics = await (await fetch(`${reg.url}/metrics`)).text();
  const host = new URL(hook.url).host;
  expect(metrics).toContain(`berth_webhook_deliveries_total{webhook="${host}",result="retried"} 2`);
  expect(metrics).toContain(`berth_webhook_deliveries_total{webhook="${host}",result="delivered"} 4`);
  expect(metrics).toMatch(/berth_webhook_deliveries_total\{webhook="127\.0\.0\.1:\d+",result="failed"\} 1/);
});

test('the audit log has one JSON line per write and per denied request, and none for reads', async () => {
  const before = (await readFile(auditFile, 'utf8')).split('\n').filter(Boolean).length;
  await reg.client.pushImage('audit/app', 'v1', ociImage(randomBlob(32), [randomBlob(64)]));
  const read = await fetch(`${reg.url}/v2/audit/app/manifests/v1`);
  await read.arrayBuffer();
  expect((await reg.client.uploadBlob('quota/app', randomBlob(2000))).status).toBe(403);
  for (let i = 0; i < 100; i++) {
    const lines = (await readFile(auditFile, 'utf8')).split('\n').filter(Boolean);
    if (lines.length >= before + 4) break;
    await sleep(20);
  }
  const entries = (await readFile(auditFile, 'utf8')).split('\n').filter(Boolean).slice(before).map((l) => JSON.parse(l));
  expect(entries.map((e) => [e.method, e.action, e.repository, e.status, e.result, e.actor])).toEqual([
    ['POST', 'upload-start.post', 'audit/app', 201, 'success', 'anonymous'],
    ['POST', 'upload-start.post', 'audit/app', 201, 'success', 'anonymous'],
    ['PUT', 'manifest.put', 'audit/app', 201, 'success', 'anonymous'],
    ['POST', 'upload-start.post', 'quota/app', 403, 'denied', 'anonymous'],
  ]);
  for (const e of entries) {
    expect(e).toEqual(expect.objectContaining({ audit: true, remote: expect.stringMatching(/127\.0\.0\.1/), path: expect.stringMatching(/^\/v2\//) }));
    expect(new Date(e.time).toISOString()).toBe(e.time);
  }
});

test('with auth on, the admin endpoints need the admin, and refusals are audited with who the client claimed to be', async () => {
  const ws = await authWorkspace();
  const file = join(ws.dir, 'audit.jsonl');
  const secured = await startInProcessRegistry({ ...ws.config(), events: { auditLog: { enabled: true, file } } });
  try {
    const anonymous = await fetch(`${secured.url}/admin/gc?dryRun=true`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
    await anonymous.arrayBuffer();
    const wrong = await fetch(`${secured.url}/admin/quotas`, { headers: { Authorization: `Basic ${Buffer.from('mallory:nope').toString('base64')}` } });
    expect(wrong.status).toBe(401);
    await wrong.arrayBuffer();
    const admin = await fetch(`${secured.url}/admin/gc?dryRun=true`, {
      method: 'POST', headers: { Authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}` },
    });
    expect(admin.status).toBe(200);
    expect(((await admin.json()) as { report: { dryRun: boolean } }).report.dryRun).toBe(true);
    await sleep(50);
    const entries = (await readFile(file, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(entries.filter((e) => e.path).map((e) => [e.path, e.status, e.result, e.actor])).toEqual([
      ['/admin/gc', 401, 'denied', 'anonymous'],
      ['/admin/quotas', 401, 'denied', 'claimed:mallory'],
      ['/admin/gc', 200, 'success', ADMIN.username],
    ]);
    // The collection the admin asked for is audited too, as the collector's own record.
    expect(entries.filter((e) => !e.path).map((e) => [e.action, e.result, e.actor])).toEqual([['gc.run', 'success', 'gc']]);
  } finally {
    await secured.stop();
    await rm(ws.dir, { recursive: true, force: true });
  }
});
