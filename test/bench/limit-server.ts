// The physical limit for a Node upload path: a minimal HTTP server (run as its own
// process, like a registry) that hashes each request body with sha256 and writes it
// to a file in the same pass, fsyncs, and answers with the digest. Nothing else:
// no routing, no validation, no metadata. Prints its port on stdout.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const dir = process.argv[2];
if (!dir) throw new Error('usage: limit-server <data dir>');
let counter = 0;

async function receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const file = join(dir, `upload-${counter++}`);
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(req, hashing, createWriteStream(file, { highWaterMark: 1024 * 1024 }));
    const handle = await open(file, 'r+');
    await handle.sync();
    await handle.close();
    const body = `sha256:${hash.digest('hex')}`;
    res.writeHead(201, { 'Content-Length': body.length }).end(body);
  } catch (err) {
    res.writeHead(500).end(String(err));
  } finally {
    await rm(file, { force: true });
  }
}

const server = createServer((req, res) => {
  receive(req, res).catch((err: Error) => res.destroy(err));
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
