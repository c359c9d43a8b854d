// Process-level behaviour: uploads survive a crash and a restart, and SIGTERM
// drains an in-flight upload before the process exits cleanly.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { sha256 } from '../harness/oci-client.js';
import { startRegistryProcess } from '../harness/registry-process.js';

test('an upload started before a crash continues after the restart', async () => {
  const first = await startRegistryProcess();
  const body = randomBytes(3 * 1024 * 1024);
  let location: string;
  try {
    const start = await fetch(`${first.url}/v2/resume/app/blobs/uploads/`, { method: 'POST' });
    location = start.headers.get('location')!;
    const chunk = await fetch(`${first.url}${location}`, { method: 'PATCH', body: body.subarray(0, 1024 * 1024), headers: { 'Content-Range': `0-${1024 * 1024 - 1}` } });
    expect(chunk.status).toBe(202);
  } finally {
    await first.kill();
  }
  const second = await startRegistryProcess({ dir: first.dir, port: first.port });
  try {
    const status = await fetch(`${second.url}${location}`);
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe(`0-${1024 * 1024 - 1}`);
    const chunk = await fetch(`${second.url}${location}`, { method: 'PATCH', body: body.subarray(1024 * 1024, 2 * 1024 * 1024), headers: { 'Content-Range': `${1024 * 1024}-${2 * 1024 * 1024 - 1}` } });
    expect(chunk.status).toBe(202);
    const done = await fetch(`${second.url}${location}?digest=${sha256(body)}`, { method: 'PUT', body: body.subarray(2 * 1024 * 1024) });
    expect(done.status).toBe(201);
    const got = Buffer.from(await (await fetch(`${second.url}/v2/resume/app/blobs/${sha256(body)}`)).arrayBuffer());
    expect(got.equals(body)).toBe(true);
  } finally {
    await second.stop();
  }
});

test('SIGTERM lets an in-flight upload finish, then exits 0', async () => {
  const reg = await startRegistryProcess();
  const body = randomBytes(2 * 1024 * 1024);
  const start = await fetch(`${reg.url}/v2/drain/app/blobs/uploads/`, { method: 'POST' });
  const location = start.headers.get('location')!;
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${reg.url}${location}?digest=${sha256(body)}`, { method: 'PUT', headers: { 'Content-Length': body.length } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.write(body.subarray(0, 1024 * 1024), () => {
      reg.child.kill('SIGTERM');
      setTimeout(() => req.end(body.subarray(1024 * 1024)), 500);
    });
  });
  expect(status).toBe(201);
  expect(await reg.exited()).toBe(0);
  const restarted = await startRegistryProcess({ dir: reg.dir });
  try {
    const head = await fetch(`${restarted.url}/v2/drain/app/blobs/${sha256(body)}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  } finally {
    await restarted.stop();
  }
});
