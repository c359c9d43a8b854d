// A layer blob as a plain tar stream, whatever its compression: chosen by the
// content's magic bytes rather than the media type, which clients get wrong
// (gzip layers labelled as plain tar and the reverse both occur in the wild).
import { PassThrough, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';

const GZIP = Buffer.from([0x1f, 0x8b]);
const ZSTD = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

function zstdStream(): Transform {
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        decoder.push(chunk);
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
    flush(cb) {
      try {
        decoder.push(new Uint8Array(0), true);
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
  });
  // Declared after the stream: its callbacks run only once data flows.
  const decoder = new Decompress((data) => {
    t.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  });
  return t;
}

/** Peeks at the first bytes and pipes through gunzip, zstd or nothing. */
export function decompressedTar(source: Readable): Readable {
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  let decided = false;
  let head = Buffer.alloc(0);
  const decide = (ended: boolean): void => {
    decided = true;
    let target: NodeJS.WritableStream & Readable;
    if (head.subarray(0, 2).equals(GZIP)) target = createGunzip();
    else if (head.subarray(0, 4).equals(ZSTD)) target = zstdStream();
    else target = new PassThrough();
    target.on('error', (err: Error) => out.destroy(err));
    target.pipe(out);
    target.write(head);
    if (ended) {
      target.end();
      return;
    }
    source.pipe(target);
    source.resume();
  };
  source.on('error', (err) => out.destroy(err));
  const onData = (chunk: Buffer): void => {
    head = Buffer.concat([head, chunk]);
    if (head.length >= 4) {
      source.off('data', onData);
      source.off('end', onEnd);
      source.pause();
      decide(false);
    }
  };
  const onEnd = (): void => {
    if (!decided) decide(true);
  };
  source.on('data', onData);
  source.on('end', onEnd);
  return out;
}
