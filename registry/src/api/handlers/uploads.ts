// Blob uploads: POST /v2/<name>/blobs/uploads/ (start, monolithic, mount) and
// GET/PATCH/PUT/DELETE /v2/<name>/blobs/uploads/<id>. HTTP only: the write path
// (write/blob-writes.ts) runs every step of the write.
import type { IncomingMessage } from 'node:http';
import { Code, RegistryError, hasCode } from '../../errors.js';
import { isValidRepositoryName, parseDigest, requireDigest, type Digest } from '../../reference.js';
import type { MountRights } from '../../write/blob-writes.js';
import { actorOf, contentLength, hasBody, send, v2Path, type Ctx } from './context.js';

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

function digestQuery(ctx: Ctx): Digest {
  return requireDigest(ctx.query.get('digest'), 'a valid digest query parameter is required');
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

/** A chunk that does not start at the upload's offset: tell the client where the upload is (416 + Location + Range). */
async function withResumeHint<T>(ctx: Ctx, id: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!hasCode(err, Code.RANGE_INVALID)) throw err;
    const size = await ctx.services.storage.uploads.size(ctx.repo, id);
    throw new RegistryError(err.descriptor, err.detail, uploadHeaders(ctx.repo, id, size));
  }
}

function mountRights(ctx: Ctx): MountRights {
  const grant = ctx.grant;
  return { canPull: (repo) => !grant || grant.can('repository', repo, 'pull'), unrestricted: !grant || grant.unrestricted === true };
}

export async function startUpload(ctx: Ctx): Promise<void> {
  const { writes } = ctx.services;
  const mount = ctx.query.get('mount');
  const d = mount === null ? undefined : parseDigest(mount);
  if (d) {
    const from = ctx.query.get('from');
    // A source that cannot be named is no source: the client uploads instead, as the spec says.
    const mountable = from === null || isValidRepositoryName(from);
    if (mountable && (await writes.blobs.mount(ctx.repo, d, from ?? undefined, mountRights(ctx), actorOf(ctx)))) {
      blobCreated(ctx, d);
      return;
    }
  }
  if (ctx.query.get('digest') !== null) {
    const digest = digestQuery(ctx);
    await writes.blobs.putMonolithic(ctx.repo, digest, hasBody(ctx.req) ? ctx.req : Buffer.alloc(0), contentLength(ctx.req), actorOf(ctx));
    blobCreated(ctx, digest);
    return;
  }
  const upload = await writes.blobs.start(ctx.repo);
  send(ctx.res, 202, uploadHeaders(ctx.repo, upload.id, 0));
}

export async function uploadStatus(ctx: Ctx): Promise<void> {
  const size = await ctx.services.storage.uploads.size(ctx.repo, ctx.params.uuid);
  send(ctx.res, 204, uploadHeaders(ctx.repo, ctx.params.uuid, size));
}

export async function patchUpload(ctx: Ctx): Promise<void> {
  const id = ctx.params.uuid;
  const range = parseContentRange(ctx.req);
  const { size } = await withResumeHint(ctx, id, () =>
    ctx.services.writes.blobs.append(ctx.repo, id, ctx.req, { start: range?.start, length: contentLength(ctx.req) }, actorOf(ctx)));
  send(ctx.res, 202, uploadHeaders(ctx.repo, id, size));
}

export async function completeUpload(ctx: Ctx): Promise<void> {
  const id = ctx.params.uuid;
  await ctx.services.storage.uploads.info(ctx.repo, id); // an unknown upload is 404 whatever the digest says
  const d = digestQuery(ctx);
  const range = hasBody(ctx.req) ? parseContentRange(ctx.req) : undefined;
  await withResumeHint(ctx, id, () => ctx.services.writes.blobs.complete(ctx.repo, id, d, hasBody(ctx.req) ? ctx.req : undefined,
    { start: range?.start, length: contentLength(ctx.req) }, actorOf(ctx)));
  blobCreated(ctx, d);
}

export async function cancelUpload(ctx: Ctx): Promise<void> {
  await ctx.services.writes.blobs.cancel(ctx.repo, ctx.params.uuid);
  send(ctx.res, 204, {});
}
