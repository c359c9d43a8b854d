// Content discovery: GET /v2/<name>/tags/list, GET /v2/_catalog and
// GET /v2/<name>/referrers/<digest>.
import { MediaType } from '../../manifest/media-types.js';
import { referrersIndex } from '../../storage/referrer-store.js';
import { Code, RegistryError } from '../../errors.js';
import { digestParam } from './blobs.js';
import { paginate, sendJSON, v2Path, type Ctx } from './context.js';

export async function listTags(ctx: Ctx): Promise<void> {
  const { storage } = ctx.services;
  let tags = await storage.tags.list(ctx.repo);
  if (tags === undefined) {
    if ((await storage.manifests.list(ctx.repo)).length === 0) throw new RegistryError(Code.NAME_UNKNOWN, { name: ctx.repo });
    tags = [];
  }
  const { page, link } = paginate(tags, ctx.query, v2Path(ctx.repo, 'tags', 'list'));
  sendJSON(ctx.res, 200, { name: ctx.repo, tags: page }, link ? { Link: link } : {});
}

export async function listCatalog(ctx: Ctx): Promise<void> {
  const repositories = await ctx.services.storage.repositories.list();
  const { page, link } = paginate(repositories, ctx.query, '/v2/_catalog');
  sendJSON(ctx.res, 200, { repositories: page }, link ? { Link: link } : {});
}

export async function listReferrers(ctx: Ctx): Promise<void> {
  const subject = digestParam(ctx);
  const artifactType = ctx.query.get('artifactType') ?? undefined;
  const manifests = await ctx.services.storage.referrers.list(ctx.repo, subject, artifactType);
  const headers: Record<string, string> = { 'Content-Type': MediaType.OCI_INDEX };
  if (artifactType) headers['OCI-Filters-Applied'] = 'artifactType';
  const body = JSON.stringify(referrersIndex(manifests));
  ctx.res.writeHead(200, { ...headers, 'Content-Length': Buffer.byteLength(body) }).end(body);
}
