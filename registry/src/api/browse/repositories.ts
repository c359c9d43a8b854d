// GET handlers for repositories and what is in them: the list, one repository,
// its tags, a tag's history, an artifact, its referrers, base and derived images.
import type { Request, Response } from 'express';
import type { Grant } from '../../auth/access.js';
import { Code, RegistryError } from '../../errors.js';
import { REFERRER_PAGE_MAX } from '../../read/artifact-view.js';
import { TAG_PAGE_MAX } from '../../read/repository-view.js';
import type { Services } from '../handlers/context.js';
import { limitOf, oneOf, pageBody, queryOf, sendJson, text } from './http.js';
import type { RepositoryRoute } from './paths.js';

const SORTS = ['name', 'lastPush', 'size'] as const;
const REPOSITORY_PAGE_MAX = 200;
const HISTORY_PAGE_MAX = 200;

export async function listRepositories(services: Services, viewer: Grant, req: Request, res: Response): Promise<void> {
  const query = queryOf(req);
  const page = await services.browsing.repositories.list(viewer, {
    search: text(query, 'q', 255),
    sort: oneOf(query, 'sort', SORTS),
    cursor: text(query, 'cursor', 2048),
    limit: limitOf(query, REPOSITORY_PAGE_MAX),
  });
  sendJson(req, res, pageBody(req, page.items, page.next));
}

export async function readRepositoryRoute(services: Services, viewer: Grant, route: RepositoryRoute, req: Request, res: Response): Promise<void> {
  const { repositories, artifacts, lineage } = services.browsing;
  const query = queryOf(req);
  switch (route.kind) {
    case 'repository':
      sendJson(req, res, await repositories.detail(viewer, route.name));
      return;
    case 'tags': {
      const page = await repositories.tags(viewer, route.name, { last: text(query, 'cursor', 256), limit: limitOf(query, TAG_PAGE_MAX) });
      sendJson(req, res, pageBody(req, page.items, page.next));
      return;
    }
    case 'tag-history': {
      await repositories.status(viewer, route.name);
      const page = await services.index.tagHistory(route.name, { tag: route.tag, cursor: text(query, 'cursor', 2048), limit: limitOf(query, HISTORY_PAGE_MAX) });
      const current = await services.index.resolveTag(route.name, route.tag);
      sendJson(req, res, { tag: route.tag, ...(current ? { digest: current } : {}), ...pageBody(req, page.items, page.next) });
      return;
    }
    case 'artifact':
      sendJson(req, res, await artifacts.artifact(viewer, route.name, route.digest));
      return;
    case 'referrers': {
      const page = await artifacts.referrers(viewer, route.name, route.digest, {
        artifactType: text(query, 'artifactType', 255), after: text(query, 'cursor', 2048), limit: limitOf(query, REFERRER_PAGE_MAX),
      });
      sendJson(req, res, pageBody(req, page.items, page.next));
      return;
    }
    case 'base':
    case 'derived':
      sendJson(req, res, await lineage[route.kind](viewer, route.name, route.digest));
      return;
    case 'tag-restore':
      throw new RegistryError(Code.UNSUPPORTED, { method: 'GET' }, { Allow: 'POST' }, 'method not allowed');
  }
}
