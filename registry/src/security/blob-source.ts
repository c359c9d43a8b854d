// How the security modules reach content: one function that opens a blob by
// digest. The registry passes its blob store; tests pass an OCI layout.
import type { Readable } from 'node:stream';

export type OpenBlob = (digest: string) => Promise<Readable>;

/** Reads a whole (small) blob: manifests, configs, signature payloads. Refuses more than `limit` bytes. */
export async function readBlob(open: OpenBlob, digest: string, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const stream = await open(digest);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      stream.destroy();
      throw new Error(`blob ${digest} is larger than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
