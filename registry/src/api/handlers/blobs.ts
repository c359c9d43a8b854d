// GET/HEAD/DELETE /v2/<name>/blobs/<digest>
import { pipeline } from 'node:stream/promises';
import { Code, RegistryError } from '../../errors.js';
import { requireDigest, type Digest } from '../../reference.js';
import type { ServedBlob } from '../../mirror/served.js';
import { canCopyDirectly } from '../../storage/registry-storage.js';
import { actorOf, send, type Ctx } from './context.js';

export function digestParam(ctx: Ctx): Digest {
  return requireDigest(ctx.params.digest);
}

interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** Parses a single `bytes=` range against `size`; undefined means "whole blob", null means unsatisfiable. */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined | null {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // unsupported forms (multi-range): serve the whole blob
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return null;
    return { start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || start > end) return null;
  return { start, end };
}

export async function headBlob(ctx: Ctx): Promise<void> {
  const d = digestParam(ctx);
  const size = ctx.cache ? await ctx.services.mirror.blobSize(ctx.cache, d) : (await ctx.services.blobPresence.stat(ctx.repo, d)).size;
  send(ctx.res, 200, {
    'Content-Length': size,
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': d.value,
    'Accept-Ranges': 'bytes',
    ETag: `"${d.value}"`,
  });
}

export async function getBlob(ctx: Ctx): Promise<void> {
  const { storage, config } = ctx.services;
  const d = digestParam(ctx);
  let size: number | undefined;
  if (ctx.cache) {
    const served = await ctx.services.mirror.blob(ctx.cache, d);
    if (served.kind === 'streaming') {
      await streamFilling(ctx, d, served);
      return;
    }
    size = served.size;
  }
  size ??= (await ctx.services.blobPresence.stat(ctx.repo, d)).size;
  const redirect = config.storage.s3?.redirect;
  if (redirect?.enabled) {
    const url = await storage.blobs.redirectURL(d, 'GET', redirect.expirySeconds);
    if (url) {
      send(ctx.res, 307, { Location: url, 'Docker-Content-Digest': d.value });
      return;
    }
  }
  const range = parseRange(ctx.req.headers.range, size);
  if (range === null) {
    throw new RegistryError(Code.RANGE_INVALID, { range: ctx.req.headers.range, size }, { 'Content-Range': `bytes */${size}` },
      'requested range not satisfiable');
  }
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': d.value,
    'Accept-Ranges': 'bytes',
    ETag: `"${d.value}"`,
    'Cache-Control': 'max-age=31536000',
  };
  const start = range?.start ?? 0;
  const length = range ? range.end - range.start + 1 : size;
  const stream = await storage.blobs.open(d, start, length);
  headers['Content-Length'] = length;
  if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
  ctx.res.writeHead(range ? 206 : 200, headers);
  ctx.services.metrics.bytesSent.inc({ route: 'blob' }, length);
  if (canCopyDirectly(stream)) await stream.copyTo(ctx.res);
  else await pipeline(stream, ctx.res);
}

/** A blob still being downloaded by the cache: read from its spool, whole or by range, as the bytes arrive. */
async function streamFilling(ctx: Ctx, d: Digest, served: Extract<ServedBlob, { kind: 'streaming' }>): Promise<void> {
  const size = served.size;
  const range = size === undefined ? undefined : parseRange(ctx.req.headers.range, size);
  if (range === null) {
    throw new RegistryError(Code.RANGE_INVALID, { range: ctx.req.headers.range, size }, { 'Content-Range': `bytes */${size}` }, 'requested range not satisfiable');
  }
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/octet-stream', 'Docker-Content-Digest': d.value, ETag: `"${d.value}"`, 'Cache-Control': 'max-age=31536000',
  };
  if (size !== undefined) {
    headers['Accept-Ranges'] = 'bytes';
    headers['Content-Length'] = range ? range.end - range.start + 1 : size;
  }
  if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
  const body = served.open(range?.start ?? 0, range ? range.end + 1 : undefined);
  ctx.res.writeHead(range ? 206 : 200, headers);
  try {
    await body.copyTo(ctx.res);
  } finally {
    ctx.services.metrics.bytesSent.inc({ route: 'blob' }, body.bytesCopied);
  }
}

export async function deleteBlob(ctx: Ctx): Promise<void> {
  const d = digestParam(ctx);
  await ctx.services.writes.blobs.unlink(ctx.repo, d, actorOf(ctx));
  send(ctx.res, 202, { 'Docker-Content-Digest': d.value });
}
