// The S3 driver reuses its connections on a store that keeps them alive (MinIO):
// a TCP proxy in front of the store counts the connections the driver opens for
// a run of sequential calls of every kind, including misses and partial reads.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { buffer } from 'node:stream/consumers';
import { PathNotFoundError } from '../../../registry/src/storage/driver/driver.js';
import { S3Driver } from '../../../registry/src/storage/driver/s3.js';
import { startS3Server, type S3Server } from '../../harness/s3-server.js';

const CALLS = 20;

let server: S3Server;
let proxy: net.Server;
let connections = 0;

beforeAll(async () => {
  server = await startS3Server({ implementation: 'minio' });
  const target = new URL(server.endpoint);
  proxy = net.createServer((client) => {
    connections += 1;
    const upstream = net.connect(Number(target.port), target.hostname);
    client.pipe(upstream).pipe(client);
    const end = () => { client.destroy(); upstream.destroy(); };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  await new Promise((r) => proxy?.close(r));
  await server?.stop();
});

function driver(): S3Driver {
  const { port } = proxy.address() as net.AddressInfo;
  return new S3Driver({
    connection: { endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', accessKey: server.accessKey, secretKey: server.secretKey, pathStyle: true },
    bucket: server.bucket, prefix: `connections-${randomBytes(4).toString('hex')}`, requestTimeoutMs: 10_000,
  });
}

/** Connections opened by `run`, which makes CALLS sequential calls. */
async function connectionsFor(run: (d: S3Driver, i: number) => Promise<unknown>): Promise<number> {
  const d = driver();
  await d.putContent('/present', randomBytes(64 * 1024));
  const before = connections;
  try {
    for (let i = 0; i < CALLS; i++) await run(d, i);
    return connections - before;
  } finally {
    for (const path of ['/present', '/written']) await d.delete(path).catch(() => undefined);
    await d.close();
  }
}

// Requests on one key (HEAD, GET, PUT, DELETE) have an undici pool of their own,
// listings the minio client's agent. A GET sent in the same tick the previous one
// ended finds that connection not yet marked free (undici frees it a microtask
// later) and opens a second one; from then on the two are reused. A stat of a
// missing path lists its children too: one connection for each pool.
test.each<[string, (d: S3Driver, i: number) => Promise<unknown>, number]>([
  ['stat of an object', (d) => d.stat('/present'), 1],
  ['stat of a missing path (404)', (d) => d.stat('/missing').catch((err) => expect(err).toBeInstanceOf(PathNotFoundError)), 2],
  ['whole read', async (d) => buffer(await d.reader('/present')), 2],
  ['ranged read', async (d) => buffer(await d.reader('/present', 1000, 100)), 2],
  ['read of a missing object (404)', (d) => d.getContent('/missing').catch((err) => expect(err).toBeInstanceOf(PathNotFoundError)), 1],
  ['small put', (d, i) => d.putContent(`/written/${i}`, randomBytes(1024)), 1],
  ['listing', (d) => d.list('/'), 1],
])('%s: sequential calls share their connections', async (_name, run, most) => {
  // Zero when the connection putContent pooled is reused, one more if it was closed meanwhile or the pool is the other one.
  expect(await connectionsFor(run)).toBeLessThanOrEqual(most);
});
