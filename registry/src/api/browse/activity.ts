// The activity feed (the audit records in the index) and the storage overview
// (usage per repository, quota scopes, garbage collection). A record about a
// repository shows only to those who may pull it; records about no repository
// (denied logins, GC runs) and quota scopes only to an unrestricted viewer.
import type { Request, Response } from 'express';
import type { Grant } from '../../auth/access.js';
import type { AuditRecord } from '../../metadata/types.js';
import type { Services } from '../handlers/context.js';
import { limitOf, pageBody, queryOf, sendJson, text, timeOf } from './http.js';

const AUDIT_PAGE_MAX = 500;
const STORAGE_REPOSITORIES = 100;

export async function listActivity(services: Services, viewer: Grant, req: Request, res: Response): Promise<void> {
  const query = queryOf(req);
  const visible = (r: AuditRecord) => (r.repository ? viewer.sees(r.repository) : viewer.administrator === true);
  const page = await services.index.audit({
    actor: text(query, 'actor'), action: text(query, 'action'), repository: text(query, 'repository'), digest: text(query, 'digest'),
    tag: text(query, 'tag'), result: text(query, 'result'), since: timeOf(query, 'since'), until: timeOf(query, 'until'),
    cursor: text(query, 'cursor', 2048), limit: limitOf(query, AUDIT_PAGE_MAX),
    ...(viewer.administrator ? {} : { filter: visible }),
  });
  sendJson(req, res, pageBody(req, page.items, page.next));
}

export async function storageOverview(services: Services, viewer: Grant, req: Request, res: Response): Promise<void> {
  const page = await services.browsing.repositories.list(viewer, { sort: 'size', limit: STORAGE_REPOSITORIES });
  const quotas = viewer.administrator ? await services.quota.status() : [];
  sendJson(req, res, {
    repositories: page.items.map((r) => ({ name: r.name, sizeBytes: r.sizeBytes, tagCount: r.tagCount, quotaScopes: services.quota.scopesOf(r.name) })),
    ...(page.next ? { more: true } : {}),
    quotas,
    ...(viewer.administrator ? { gc: services.gcStatus.state() } : {}),
  });
}
