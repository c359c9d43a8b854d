// GET/HEAD/PUT/DELETE /v2/<name>/manifests/<reference>
import { parseDigest } from '../../reference.js';
import { isValidTag } from '../../reference.js';
import { Code, RegistryError } from '../../errors.js';
import { readBody, send, v2Path, type Ctx } from './context.js';

function checkReference(reference: string): void {
  if (reference.includes(':')) {
    if (!parseDigest(reference)) throw new RegistryError(Code.DIGEST_INVALID, { digest: reference });
  } else if (!isValidTag(reference)) {
    throw new RegistryError(Code.TAG_INVALID, { tag: reference });
  }
}

export async function getManifest(ctx: Ctx, head = false): Promise<void> {
  const reference = ctx.params.reference;
  checkReference(reference);
  const { storage } = ctx.services;
  const headers = (digest: string, mediaType: string, size: number) => ({
    'Content-Type': mediaType,
    'Docker-Content-Digest': digest,
    'Content-Length': size,
    ETag: `"${digest}"`,
  });
  if (head) {
    const { digest, meta } = await storage.manifests.resolve(ctx.repo, reference);
    send(ctx.res, 200, headers(digest.value, meta.mediaType, meta.size));
    return;
  }
  const m = await storage.manifests.get(ctx.repo, reference);
  ctx.services.metrics.bytesSent.inc({ route: 'manifest' }, m.body.length);
  ctx.res.writeHead(200, headers(m.digest.value, m.meta.mediaType, m.body.length)).end(m.body);
  ctx.services.lifecycle?.events.emit('pull', ctx.repo, {
    actor: ctx.grant?.subject, reference, digest: m.digest.value, mediaType: m.meta.mediaType, remote: ctx.req.socket.remoteAddress,
  });
}

export const headManifest = (ctx: Ctx) => getManifest(ctx, true);

export async function putManifest(ctx: Ctx): Promise<void> {
  const reference = ctx.params.reference;
  checkReference(reference);
  const tagParams = ctx.query.getAll('tag');
  for (const t of tagParams) if (!isValidTag(t)) throw new RegistryError(Code.TAG_INVALID, { tag: t });
  const { config, storage, metrics } = ctx.services;
  const limit = config.http.maxManifestBytes;
  const body = await readBody(ctx.req, limit, new RegistryError(Code.MANIFEST_TOO_LARGE, { limit }));
  metrics.bytesReceived.inc({ route: 'manifest' }, body.length);
  const { lifecycle } = ctx.services;
  const tags = [...new Set(reference.includes(':') ? tagParams : [reference, ...tagParams])];
  let admitted: ((committed: boolean) => Promise<void>) | undefined;
  const put = () => storage.manifests.put(ctx.repo, reference, body, ctx.req.headers['content-type'], tagParams,
    lifecycle && (async (d, p) => { admitted = await lifecycle.beforeManifestPut(ctx.repo, tags, d, p, body.length); }));
  let result;
  try {
    result = lifecycle ? await lifecycle.immutability.serialise(ctx.repo, tags, put) : await put();
  } catch (err) {
    await admitted?.(false);
    throw err;
  }
  await admitted?.(true);
  const { digest, parsed } = result;
  metrics.pushes.inc({ repository: ctx.repo });
  lifecycle?.events.emit('push', ctx.repo, {
    actor: ctx.grant?.subject, tags, digest: digest.value, mediaType: parsed.mediaType, size: body.length, remote: ctx.req.socket.remoteAddress,
  });
  const headers: Record<string, string> = {
    Location: v2Path(ctx.repo, 'manifests', digest.value),
    'Docker-Content-Digest': digest.value,
  };
  if (parsed.subject) headers['OCI-Subject'] = parsed.subject.value;
  if (tagParams.length) headers['OCI-Tag'] = [...new Set(tagParams)].join(', ');
  send(ctx.res, 201, headers);
}

export async function deleteManifest(ctx: Ctx): Promise<void> {
  const reference = ctx.params.reference;
  checkReference(reference);
  const { storage, lifecycle } = ctx.services;
  const digest = parseDigest(reference);
  if (digest) {
    await storage.manifests.delete(ctx.repo, digest, lifecycle && (async (tags) => lifecycle.immutability.checkRemoval(ctx.repo, tags)));
  } else {
    if (lifecycle && (await storage.tags.resolve(ctx.repo, reference))) lifecycle.immutability.checkRemoval(ctx.repo, [reference]);
    if (!(await storage.tags.delete(ctx.repo, reference))) throw new RegistryError(Code.MANIFEST_UNKNOWN, { tag: reference });
  }
  lifecycle?.quota.invalidate(ctx.repo);
  lifecycle?.events.emit('delete', ctx.repo, {
    actor: ctx.grant?.subject, ...(digest ? { digest: digest.value } : { tag: reference }), remote: ctx.req.socket.remoteAddress,
  });
  send(ctx.res, 202, {});
}
