// Content discovery, answered from the metadata index: GET /v2/<name>/tags/list,
// GET /v2/_catalog and GET /v2/<name>/referrers/<digest>. The catalog lists only
// what the caller may pull. `tags/list?metadata=true` adds each tag's digest,
// media type, size, created time, platforms, push and last pull (a Berth extension
// beside the spec's `tags`).
import { MediaType } from '../../manifest/media-types.js';
import type { NamePage } from '../../read/listings.js';
import { digestParam } from './blobs.js';
import { parsePageSize, sendJSON, v2Path, type Ctx } from './context.js';

/** Distribution's `n`/`last` pagination: the Link header when a page follows. */
function linkHeader(basePath: string, n: number | undefined, page: NamePage<unknown>, extra: Record<string, string> = {}): Record<string, string> {
  if (page.next === undefined) return {};
  const next = new URLSearchParams({ ...extra, ...(n !== undefined ? { n: String(n) } : {}), last: page.next });
  return { Link: `<${basePath}?${next.toString()}>; rel="next"` };
}

export async function listTags(ctx: Ctx): Promise<void> {
  const n = parsePageSize(ctx.query);
  const query = { n, last: ctx.query.get('last') ?? undefined };
  const path = v2Path(ctx.repo, 'tags', 'list');
  const { listings } = ctx.services;
  if (ctx.query.get('metadata') === 'true') {
    const page = await listings.tagDetails(ctx.repo, query);
    sendJSON(ctx.res, 200, { name: ctx.repo, tags: page.items.map((t) => t.tag), metadata: page.items }, linkHeader(path, n, page, { metadata: 'true' }));
    return;
  }
  const page = await listings.tags(ctx.repo, query);
  sendJSON(ctx.res, 200, { name: ctx.repo, tags: page.items }, linkHeader(path, n, page));
}

export async function listCatalog(ctx: Ctx): Promise<void> {
  const n = parsePageSize(ctx.query);
  const grant = ctx.grant;
  const visible = grant && !grant.unrestricted ? (name: string) => grant.sees(name) : undefined;
  const page = await ctx.services.listings.catalog({ n, last: ctx.query.get('last') ?? undefined }, visible);
  sendJSON(ctx.res, 200, { repositories: page.items }, linkHeader('/v2/_catalog', n, page));
}

export async function listReferrers(ctx: Ctx): Promise<void> {
  const subject = digestParam(ctx);
  const artifactType = ctx.query.get('artifactType') ?? undefined;
  const manifests = await ctx.services.listings.referrers(ctx.repo, subject.value, artifactType);
  const headers: Record<string, string> = { 'Content-Type': MediaType.OCI_INDEX };
  if (artifactType) headers['OCI-Filters-Applied'] = 'artifactType';
  const body = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OCI_INDEX, manifests });
  ctx.res.writeHead(200, { ...headers, 'Content-Length': Buffer.byteLength(body) }).end(body);
}
