// GET/HEAD/PUT/DELETE /v2/<name>/manifests/<reference>
import { Code, RegistryError } from '../../errors.js';
import { parseReference } from '../../reference.js';
import { checkJsonLimits } from '../../manifest/bounded-json.js';
import type { ManifestMeta } from '../../storage/manifest-store.js';
import { actorOf, send, v2Path, type Ctx } from './context.js';

function headers(digest: string, mediaType: string, size: number): Record<string, string | number> {
  return { 'Content-Type': mediaType, 'Docker-Content-Digest': digest, 'Content-Length': size, ETag: `"${digest}"` };
}

export async function getManifest(ctx: Ctx, head = false): Promise<void> {
  const reference = ctx.params.reference;
  parseReference(reference);
  if (ctx.cache) {
    await getCachedManifest(ctx, reference, head);
    return;
  }
  const { manifests } = ctx.services;
  if (head) {
    const { digest, meta } = await manifests.resolve(ctx.repo, reference);
    await pullGate(ctx, reference, digest.value, meta, () => ctx.services.storage.manifests.body(digest, reference));
    send(ctx.res, 200, headers(digest.value, meta.mediaType, meta.size));
    return;
  }
  const m = await manifests.get(ctx.repo, reference);
  await pullGate(ctx, reference, m.digest.value, m.meta, async () => m.body);
  ctx.services.metrics.bytesSent.inc({ route: 'manifest' }, m.body.length);
  ctx.res.writeHead(200, headers(m.digest.value, m.meta.mediaType, m.body.length)).end(m.body);
  ctx.services.pulls.manifestPulled(ctx.repo, reference, m.digest, m.meta.mediaType, actorOf(ctx));
}

/** Pull policies (signatures, vulnerabilities) decide before any byte of the manifest is sent. */
function pullGate(ctx: Ctx, reference: string, digest: string, meta: ManifestMeta, body: () => Promise<Buffer>): Promise<void> {
  return ctx.services.security.gate.check(
    { repo: ctx.repo, reference, digest, mediaType: meta.mediaType, artifactType: meta.artifactType, subject: meta.subject, body }, ctx.grant);
}

export const headManifest = (ctx: Ctx) => getManifest(ctx, true);

/** A manifest of a cached repository: fresh, fetched, or stale with a Warning (mirror/manifest-cache.ts). */
async function getCachedManifest(ctx: Ctx, reference: string, head: boolean): Promise<void> {
  const m = await ctx.services.mirror.manifest(ctx.cache!, reference);
  const out = headers(m.digest.value, m.mediaType, m.body.length);
  if (m.warning) out.Warning = m.warning;
  if (head) {
    send(ctx.res, 200, out);
    return;
  }
  ctx.services.metrics.bytesSent.inc({ route: 'manifest' }, m.body.length);
  ctx.res.writeHead(200, out).end(m.body);
  ctx.services.pulls.manifestPulled(ctx.repo, reference, m.digest, m.mediaType, actorOf(ctx));
}

export async function putManifest(ctx: Ctx): Promise<void> {
  parseReference(ctx.params.reference);
  const { config, metrics, writes } = ctx.services;
  const limit = config.http.maxManifestBytes;
  const body = await ctx.services.manifestBodies.read(ctx.req, () => new RegistryError(Code.MANIFEST_TOO_LARGE, { limit }), checkJsonLimits);
  metrics.bytesReceived.inc({ route: 'manifest' }, body.length);
  const tagParams = ctx.query.getAll('tag');
  const { digest, parsed } = await writes.manifests.put(ctx.repo, ctx.params.reference, body, ctx.req.headers['content-type'], tagParams, actorOf(ctx));
  const out: Record<string, string> = {
    Location: v2Path(ctx.repo, 'manifests', digest.value),
    'Docker-Content-Digest': digest.value,
  };
  if (parsed.subject) out['OCI-Subject'] = parsed.subject.value;
  if (tagParams.length) out['OCI-Tag'] = [...new Set(tagParams)].join(', ');
  send(ctx.res, 201, out);
}

export async function deleteManifest(ctx: Ctx): Promise<void> {
  const ref = parseReference(ctx.params.reference);
  const { manifests } = ctx.services.writes;
  if (ref.digest) await manifests.deleteManifest(ctx.repo, ref.digest, actorOf(ctx));
  else await manifests.deleteTag(ctx.repo, ref.tag, actorOf(ctx));
  send(ctx.res, 202, {});
}
