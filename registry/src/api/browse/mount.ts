// The browsing API under /api/v1 (docs/api.md): read-only views of the metadata
// index filtered by the caller's pull rights, and the one write, a tag rollback.
// Errors are the /v2 body (the app's error renderer).
import type { Express, Request, Response } from 'express';
import type { Grant } from '../../auth/access.js';
import type { Services } from '../handlers/context.js';
import { listActivity, storageOverview } from './activity.js';
import { API_PREFIX, sendJson, viewerOf } from './http.js';
import { parseRepositoryPath } from './paths.js';
import { listRepositories, readRepositoryRoute } from './repositories.js';
import { restoreTag } from './restore.js';
import { Code, RegistryError } from '../../errors.js';

type Handler = (viewer: Grant, req: Request, res: Response) => Promise<void>;

function segments(req: Request): string[] {
  const raw = (req.params as { path?: string | string[] }).path;
  return Array.isArray(raw) ? raw : raw ? raw.split('/') : [];
}

export function mountBrowseApi(app: Express, services: Services): void {
  const route = (handler: Handler) => async (req: Request, res: Response) => {
    res.locals.route = 'api-v1';
    await handler(await viewerOf(services, req, res), req, res);
  };
  app.get(`${API_PREFIX}/me`, route(async (viewer, req, res) => {
    sendJson(req, res, { subject: viewer.subject, administrator: viewer.administrator === true });
  }));
  app.get(`${API_PREFIX}/repositories`, route((viewer, req, res) => listRepositories(services, viewer, req, res)));
  app.get(`${API_PREFIX}/repositories/*path`, route((viewer, req, res) => readRepositoryRoute(services, viewer, parseRepositoryPath(segments(req)), req, res)));
  app.post(`${API_PREFIX}/repositories/*path`, route(async (viewer, req, res) => {
    const target = parseRepositoryPath(segments(req));
    if (target.kind !== 'tag-restore') throw new RegistryError(Code.UNSUPPORTED, { method: 'POST' }, { Allow: 'GET' }, 'method not allowed');
    await restoreTag(services, viewer, target.name, target.tag, req, res);
  }));
  app.get(`${API_PREFIX}/audit`, route((viewer, req, res) => listActivity(services, viewer, req, res)));
  app.get(`${API_PREFIX}/storage`, route((viewer, req, res) => storageOverview(services, viewer, req, res)));
}
