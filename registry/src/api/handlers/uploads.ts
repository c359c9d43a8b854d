// Blob uploads: POST /v2/<name>/blobs/uploads/ (start, monolithic, mount) and
// GET/PATCH/PUT/DELETE /v2/<name>/blobs/uploads/<id>.
import type { IncomingMessage } from 'node:http';
import { parseDigest, type Digest } from '../../reference.js';
import { isValidRepositoryName } from '../../reference.js';
import type { AppendOptions, WriteResult } from '../../storage/upload-store.js';
import { Code, RegistryError } from '../../errors.js';
import { contentLength, hasBody, send, v2Path, type Ctx } from './context.js';

function uploadHeaders(repo: string, id: string, size: number): Record<string, string> {
  return {
    Location: v2Path(repo, 'blobs', 'uploads', id),
    Range: `0-${Math.max(size - 1, 0)}`,
    'Docker-Upload-UUID': id,
  };
}

function blobCreated(ctx: Ctx, d: Digest): void {
  send(ctx.res, 201, { Location: v2Path(ctx.repo, 'blobs', d.value), 'Docker-Content-Digest': d.value });
}

function requiredDigest(ctx: Ctx): Digest {
  const raw = ctx.query.get('digest');
  const d = raw ? parseDigest(raw) : undefined;
  if (!d) throw new RegistryError(Code.DIGEST_INVALID, { digest: raw ?? null, reason: 'a valid digest query parameter is required' });
  return d;
}

/** Parses `Content-Range: <start>-<end>` (also the `bytes ` and `/total` forms some clients send). */
function parseContentRange(req: IncomingMessage): { start: number; end: number } | undefined {
  const raw = req.headers['content-range'];
  if (raw === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(raw.trim());
  if (!m) throw new RegistryError(Code.RANGE_INVALID, { contentRange: raw });
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) throw new RegistryError(Code.RANGE_INVALID, { contentRange: raw });
  const length = contentLength(req);
  if (length !== undefined && length !== end - start + 1) {
    throw new RegistryError(Code.SIZE_INVALID, { contentRange: raw, contentLength: length });
  }
  return { start, end };
}

async function tryMount(ctx: Ctx, d: Digest): Promise<boolean> {
  const { blobs } = ctx.services.storage;
  const from = ctx.query.get('from');
  if (from !== null) {
    if (!isValidRepositoryName(from) || from === ctx.repo) return false;
    const grant = ctx.grant;
    if (grant && !grant.can('repository', from, 'pull')) return false; // per spec: fall back to an upload
    if (!(await blobs.isLinked(from, d)) || (await blobs.globalSize(d)) === undefined) return false;
  } else if ((ctx.grant && !ctx.grant.unrestricted) || (await blobs.globalSize(d)) === undefined) {
    return false; // with auth on, a digest alone must not reach another repository's blobs
  }
  await blobs.link(ctx.repo, d);
  return true;
}

/**
 * Lifecycle hooks for a write to upload `id`: the quota reservation for the chunk
 * (its Content-Length) and, when completing to `digest`, the GC touch and the quota
 * admission before the blob is committed. `settle` must run after the write.
 */
/** Runs an upload write with the lifecycle hooks, and settles the quota whatever the outcome. */
async function withLifecycle(ctx: Ctx, id: string, digest: Digest | undefined, write: (options: AppendOptions) => Promise<WriteResult>): Promise<WriteResult> {
  const lifecycle = ctx.services.lifecycle;
  if (!lifecycle) return write({});
  let settle: (() => Promise<void>) | undefined;
  let admitted: ((committed: boolean) => Promise<void>) | undefined;
  const options: AppendOptions = {
    reserve: lifecycle.quota.applies(ctx.repo)
      ? async () => { settle = await lifecycle.quota.reserveChunk(ctx.repo, id, contentLength(ctx.req) ?? 0); }
      : undefined,
    beforeCommit: digest ? async (size) => {
      await lifecycle.beforeBlobLink(digest);
      admitted = await lifecycle.quota.admit(ctx.repo, digest, size, id);
    } : undefined,
  };
  let committed = false;
  try {
    const result = await write(options);
    committed = true;
    return result;
  } finally {
    await admitted?.(committed);
    await (settle ?? (() => lifecycle.quota.refreshUpload(ctx.repo, id)))();
  }
}

export async function startUpload(ctx: Ctx): Promise<void> {
  const { uploads } = ctx.services.storage;
  const { lifecycle } = ctx.services;
  const mount = ctx.query.get('mount');
  if (mount !== null) {
    const d = parseDigest(mount);
    let admitted: ((committed: boolean) => Promise<void>) | undefined;
    if (d && lifecycle) {
      await lifecycle.beforeBlobLink(d);
      const size = await ctx.services.storage.blobs.globalSize(d);
      if (size !== undefined) admitted = await lifecycle.quota.admit(ctx.repo, d, size);
    }
    let mounted = false;
    try {
      mounted = d !== undefined && (await tryMount(ctx, d));
    } finally {
      await admitted?.(mounted);
    }
    if (mounted) {
      await lifecycle?.afterBlobLink(ctx.repo, d!);
      blobCreated(ctx, d!);
      return;
    }
  }
  const digestRaw = ctx.query.get('digest');
  if (digestRaw !== null) {
    const d = requiredDigest(ctx);
    const upload = await uploads.create(ctx.repo);
    try {
      await withActiveUpload(ctx, () => withLifecycle(ctx, upload.id, d, (hooks) =>
        uploads.complete(ctx.repo, upload.id, d, hasBody(ctx.req) ? ctx.req : Buffer.alloc(0), { ...hooks, algorithm: d.algorithm })));
    } catch (err) {
      // A refused monolithic upload leaves no session behind to count against the quota.
      if (err instanceof RegistryError && err.descriptor === Code.QUOTA_EXCEEDED) await uploads.cancel(ctx.repo, upload.id).catch(() => undefined);
      throw err;
    }
    await lifecycle?.afterBlobLink(ctx.repo, d);
    blobCreated(ctx, d);
    return;
  }
  const upload = await uploads.create(ctx.repo);
  send(ctx.res, 202, uploadHeaders(ctx.repo, upload.id, 0));
}

export async function uploadStatus(ctx: Ctx): Promise<void> {
  const size = await ctx.services.storage.uploads.size(ctx.repo, ctx.params.uuid);
  send(ctx.res, 204, uploadHeaders(ctx.repo, ctx.params.uuid, size));
}

export async function patchUpload(ctx: Ctx): Promise<void> {
  const { uploads } = ctx.services.storage;
  const id = ctx.params.uuid;
  const range = parseContentRange(ctx.req);
  try {
    const { size } = await withActiveUpload(ctx, () => withLifecycle(ctx, id, undefined, (hooks) =>
      uploads.append(ctx.repo, id, ctx.req, { ...hooks, start: range?.start })));
    send(ctx.res, 202, uploadHeaders(ctx.repo, id, size));
  } catch (err) {
    if (err instanceof RegistryError && err.descriptor === Code.RANGE_INVALID) {
      // Tell the client where the upload really is, so it can resume (spec: 416 + Location + Range).
      const size = await uploads.size(ctx.repo, id);
      throw new RegistryError(err.descriptor, err.detail, uploadHeaders(ctx.repo, id, size));
    }
    throw err;
  }
}

export async function completeUpload(ctx: Ctx): Promise<void> {
  const { uploads } = ctx.services.storage;
  const id = ctx.params.uuid;
  await uploads.info(ctx.repo, id);
  const d = requiredDigest(ctx);
  const range = hasBody(ctx.req) ? parseContentRange(ctx.req) : undefined;
  try {
    await withActiveUpload(ctx, () => withLifecycle(ctx, id, d, (hooks) =>
      uploads.complete(ctx.repo, id, d, hasBody(ctx.req) ? ctx.req : undefined, { ...hooks, start: range?.start })));
  } catch (err) {
    if (err instanceof RegistryError && err.descriptor === Code.RANGE_INVALID) {
      const size = await uploads.size(ctx.repo, id);
      throw new RegistryError(err.descriptor, err.detail, uploadHeaders(ctx.repo, id, size));
    }
    throw err;
  }
  await ctx.services.lifecycle?.afterBlobLink(ctx.repo, d);
  blobCreated(ctx, d);
}

export async function cancelUpload(ctx: Ctx): Promise<void> {
  await ctx.services.storage.uploads.cancel(ctx.repo, ctx.params.uuid);
  ctx.services.lifecycle?.quota.invalidate(ctx.repo);
  send(ctx.res, 204, {});
}

async function withActiveUpload(ctx: Ctx, task: () => Promise<WriteResult>): Promise<WriteResult> {
  const { metrics } = ctx.services;
  metrics.activeUploads.inc();
  try {
    const result = await task();
    metrics.bytesReceived.inc({ route: 'upload' }, result.written);
    return result;
  } finally {
    metrics.activeUploads.dec();
  }
}
