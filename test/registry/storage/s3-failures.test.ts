// How the S3 driver behaves when the store is down, silent or failing, and how it
// presigns redirects for clients that reach the store under another name.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { buffer } from 'node:stream/consumers';
import { PathNotFoundError, StorageUnavailableError } from '../../../registry/src/storage/driver/driver.js';
import { S3Driver, type S3DriverOptions } from '../../../registry/src/storage/driver/s3.js';
import { startS3Server, type S3Server } from '../../harness/s3-server.js';

let server: S3Server;

beforeAll(async () => {
  server = await startS3Server();
});

afterAll(async () => {
  await server?.stop();
});

function driver(overrides: Partial<S3DriverOptions> & { endpoint?: string } = {}): S3Driver {
  return new S3Driver({
    connection: {
      endpoint: overrides.endpoint ?? server.endpoint, region: 'us-east-1',
      accessKey: server.accessKey, secretKey: server.secretKey, pathStyle: true,
    },
    bucket: server.bucket, prefix: 'failures', requestTimeoutMs: 1_000, ...overrides,
  });
}

/** Listens on loopback and answers with `handler`, or accepts and never answers when it is undefined. */
async function fakeStore(handler?: http.RequestListener): Promise<{ endpoint: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const srv: net.Server = handler ? http.createServer(handler) : net.createServer();
  srv.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => srv.close(r));
    },
  };
}

async function elapsed<T>(op: () => Promise<T>): Promise<{ ms: number; error: unknown }> {
  const start = Date.now();
  try {
    await op();
    return { ms: Date.now() - start, error: undefined };
  } catch (error) {
    return { ms: Date.now() - start, error };
  }
}

test('a store that accepts connections but never answers fails every operation within the timeout', async () => {
  const silent = await fakeStore();
  const d = driver({ endpoint: silent.endpoint });
  try {
    const ops: Array<() => Promise<unknown>> = [
      () => d.getContent('/x'), () => d.stat('/x'), () => d.list('/'), () => d.putContent('/x', 'y'), () => d.reader('/x'),
    ];
    for (const op of ops) {
      const r = await elapsed(op);
      expect(r.error).toBeInstanceOf(StorageUnavailableError);
      expect(r.ms).toBeLessThan(3_000);
    }
  } finally {
    await d.close();
    await silent.close();
  }
});

test('connection refused and 5xx answers are StorageUnavailableError, not-found stays not-found', async () => {
  const closed = await fakeStore();
  const refusedEndpoint = closed.endpoint;
  await closed.close();
  const refused = driver({ endpoint: refusedEndpoint });
  const refusedOps: Array<() => Promise<unknown>> = [() => refused.getContent('/x'), () => refused.reader('/x'), () => refused.reader('/x', 10, 10)];
  for (const op of refusedOps) {
    const r = await elapsed(op);
    expect(r.error).toBeInstanceOf(StorageUnavailableError);
    expect(r.ms).toBeLessThan(3_000);
  }
  await refused.close();

  let requests = 0;
  const failing = await fakeStore((_req, res) => {
    requests++;
    res.writeHead(503, { 'Content-Type': 'application/xml' });
    res.end('<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
  });
  const slowDown = driver({ endpoint: failing.endpoint });
  try {
    await expect(slowDown.putContent('/x', 'y')).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(requests).toBeGreaterThan(0);
    const before = requests;
    await expect(slowDown.reader('/x')).rejects.toThrow(StorageUnavailableError);
    await expect(slowDown.reader('/x', 5, 5)).rejects.toThrow(/SlowDown/);
    expect(requests).toBe(before + 2);
  } finally {
    await slowDown.close();
    await failing.close();
  }

  const healthy = driver();
  await expect(healthy.getContent('/missing')).rejects.toBeInstanceOf(PathNotFoundError);
  await expect(healthy.reader('/missing')).rejects.toBeInstanceOf(PathNotFoundError);
  await expect(healthy.reader('/missing', 3, 4)).rejects.toBeInstanceOf(PathNotFoundError);
  await healthy.close();
});

test('an object body that stops arriving fails the read within the timeout', async () => {
  const stalling = await fakeStore((_req, res) => {
    res.writeHead(200, { 'Content-Length': 1024 * 1024, 'Content-Type': 'application/octet-stream' });
    res.write(Buffer.alloc(64 * 1024, 7)); // then nothing more
  });
  const d = driver({ endpoint: stalling.endpoint });
  try {
    const r = await elapsed(async () => buffer(await d.reader('/x')));
    expect(r.error).toBeInstanceOf(Error);
    expect(r.ms).toBeGreaterThanOrEqual(900);
    expect(r.ms).toBeLessThan(3_000);
  } finally {
    await d.close();
    await stalling.close();
  }
});

test('during an outage operations fail fast, and afterwards nothing is lost or half-written', async () => {
  const d = driver({ requestTimeoutMs: 2_000 });
  try {
    await d.putContent('/survives', 'still here');
    const w = await d.writer('/upload');
    await w.write(Buffer.alloc(100, 1));
    await w.close();
    await server.kill();
    await expect(d.getContent('/survives')).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(d.reader('/survives')).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(d.writer('/upload', { append: true })).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(d.putContent('/never', 'x')).rejects.toBeInstanceOf(StorageUnavailableError);
    await server.restart();
    expect((await d.getContent('/survives')).toString()).toBe('still here');
    expect((await buffer(await d.reader('/survives', 6))).toString()).toBe('here');
    await expect(d.stat('/never')).rejects.toThrow('path not found');
    const resumed = await d.writer('/upload', { append: true });
    expect(resumed.size).toBe(100);
    await resumed.commit();
    expect((await d.getContent('/upload')).equals(Buffer.alloc(100, 1))).toBe(true);
    await d.delete('/survives');
    await d.delete('/upload');
  } finally {
    await d.close();
  }
});

test('redirect URLs are presigned for the external endpoint and fetch the object there', async () => {
  const internal = new URL(server.endpoint);
  const external = `http://registry-store.example.test:${internal.port}`;
  const d = driver({ redirect: { enabled: true, externalEndpoint: external } });
  const plain = driver();
  try {
    await d.putContent('/blobs/presigned', 'presigned content');
    const url = new URL((await d.redirectURL('/blobs/presigned', { method: 'GET', expiresInSeconds: 300 }))!);
    expect(url.host).toBe(`registry-store.example.test:${internal.port}`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    // Split DNS: send the request to the loopback address but as the external host, as a client would.
    const body = await new Promise<Buffer>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: internal.port, path: url.pathname + url.search, headers: { host: url.host } }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`presigned GET answered ${res.statusCode}`));
        buffer(res).then(resolve, reject);
      }).on('error', reject);
    });
    expect(body.toString()).toBe('presigned content');
    expect(await plain.redirectURL('/blobs/presigned', { method: 'GET', expiresInSeconds: 300 })).toBeUndefined();
    await d.delete('/blobs');
  } finally {
    await d.close();
    await plain.close();
  }
});

test('TLS: the store is trusted through a CA file or insecureSkipVerify, and an unknown CA is refused', async () => {
  const secure = await startS3Server({ tls: true });
  const connect = (tls: { ca?: Buffer; insecureSkipVerify?: boolean }) => new S3Driver({
    connection: { endpoint: secure.endpoint, region: 'us-east-1', accessKey: secure.accessKey, secretKey: secure.secretKey, pathStyle: true, tls },
    bucket: secure.bucket, prefix: 'tls', requestTimeoutMs: 5_000, limits: { partBytes: 5 * 1024 * 1024 },
  });
  const withCa = connect({ ca: readFileSync(secure.caFile!) });
  const skipping = connect({ insecureSkipVerify: true });
  const untrusting = connect({});
  try {
    expect(secure.endpoint).toMatch(/^https:/);
    await withCa.putContent('/over-tls', 'secret bytes');
    expect((await skipping.getContent('/over-tls')).toString()).toBe('secret bytes');
    await expect(untrusting.getContent('/over-tls')).rejects.toThrow(/certificate/i);
    // Object GETs have a connection pool of their own, with the same trust.
    expect((await buffer(await withCa.reader('/over-tls'))).toString()).toBe('secret bytes');
    expect((await buffer(await skipping.reader('/over-tls', 7, 5))).toString()).toBe('bytes');
    await expect(untrusting.reader('/over-tls')).rejects.toThrow(/certificate/i);
    // Parts go over TLS with an unsigned payload (plain HTTP signs the payload's sha256).
    const big = randomBytes(11 * 1024 * 1024 + 3);
    const writer = await withCa.writer('/multipart-over-tls');
    await writer.write(big);
    await writer.commit();
    expect((await withCa.getContent('/multipart-over-tls')).equals(big)).toBe(true);
  } finally {
    await Promise.all([withCa.close(), skipping.close(), untrusting.close()]);
    await secure.stop();
  }
});
