// The admin API: run GC (and retention) on demand, run retention alone, scrub the
// metadata index against storage, read quota usage, read a repository's
// vulnerability summary, ask whether the cache's upstreams answer, read the sync and
// replication rules' status or run one now, and read or delete one repository (what the operator's Repository
// reconciler uses for status and `deletionPolicy: Delete`). Every route needs the
// registry resource `gc`, which only the admin holds (or everyone, when auth is off).
import type { Express, Request, Response } from 'express';
import { Code, RegistryError } from '../errors.js';
import { repositoryStatus } from '../policy/repository-status.js';
import { isValidRepositoryName } from '../reference.js';
import { repositorySecuritySummary } from './admin-security.js';
import type { Services } from './handlers/context.js';

const ADMIN_ACCESS = [{ type: 'registry' as const, name: 'gc', actions: ['*' as const] }];

function flag(req: Request, name: string): boolean | undefined {
  const raw = new URL(req.originalUrl, 'http://registry').searchParams.get(name);
  if (raw === null) return undefined;
  if (raw === '' || raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new RegistryError(Code.UNSUPPORTED, { [name]: raw, reason: 'expected true or false' }, {}, `invalid ${name}`);
}

/** The repository named by the `*name` wildcard; NAME_INVALID or NAME_UNKNOWN. */
async function repositoryName(services: Services, req: Request): Promise<string> {
  const raw = (req.params as { name?: string | string[] }).name;
  const name = Array.isArray(raw) ? raw.join('/') : raw ?? '';
  if (!isValidRepositoryName(name)) throw new RegistryError(Code.NAME_INVALID, { name });
  if (!(await services.storage.repositories.exists(name))) throw new RegistryError(Code.NAME_UNKNOWN, { name });
  return name;
}

export function mountAdminRoutes(app: Express, services: Services): void {
  const admin = (handler: (req: Request, res: Response, subject: string) => Promise<void>) => async (req: Request, res: Response) => {
    const grant = await services.access.authorize(req, ADMIN_ACCESS);
    res.locals.subject = grant.subject;
    await handler(req, res, grant.subject);
  };
  app.post('/admin/gc', admin(async (req, res) => {
    const result = await services.gc.run({ dryRun: flag(req, 'dryRun') });
    if (result.status === 'busy') {
      res.status(409).json({ status: 'busy', holder: result.holder });
      return;
    }
    res.json(result);
  }));
  app.post('/admin/retention', admin(async (req, res) => {
    res.json(await services.retention.apply({ dryRun: flag(req, 'dryRun') ?? false }, services.writes.retention));
  }));
  app.post('/admin/scrub', admin(async (req, res) => {
    const report = await services.scrub.scrubAll({ dryRun: flag(req, 'dryRun') ?? false });
    if (!report) {
      res.status(409).json({ status: 'busy' });
      return;
    }
    res.json({ status: 'done', report });
  }));
  app.get('/admin/quotas', admin(async (_req, res) => {
    res.json({ quotas: await services.quota.status() });
  }));
  app.get('/admin/upstreams', admin(async (_req, res) => {
    res.json({ upstreams: await services.mirror.reachability() });
  }));
  app.get('/admin/replication', admin(async (_req, res) => {
    res.json({ rules: services.replication.status() });
  }));
  app.post('/admin/replication/:rule', admin(async (req, res) => {
    res.json(await services.replication.run(String((req.params as { rule?: string }).rule), 'admin'));
  }));
  app.get('/admin/repositories/*name', admin(async (req, res) => {
    const name = await repositoryName(services, req);
    const status = await repositoryStatus(services.index, services.quota, name);
    if (!status) throw new RegistryError(Code.NAME_UNKNOWN, { name });
    res.json(status);
  }));
  // What Repository.status.security shows: counts per severity in the tagged images, the top advisories, each tagged image's advisories, unsigned tags, the database.
  app.get('/admin/security/repositories/*name', admin(async (req, res) => {
    const name = await repositoryName(services, req);
    res.json(await repositorySecuritySummary(await services.security.load(), name));
  }));
  app.delete('/admin/repositories/*name', admin(async (req, res, subject) => {
    const name = await repositoryName(services, req);
    await services.writes.manifests.deleteRepository(name, { subject, remote: req.socket.remoteAddress });
    res.status(202).json({ deleted: name });
  }));
}
