// Admin endpoints for the lifecycle: run GC (and retention) on demand, run retention
// alone, read quota usage, and read or delete one repository (what the operator's
// Repository reconciler uses for status and `deletionPolicy: Delete`). They need the registry resource `gc`, which only the
// admin holds (or everyone, when auth is off).
import type { Express, Request, Response } from 'express';
import { Code, RegistryError } from '../errors.js';
import type { Services } from '../api/handlers/context.js';
import type { Lifecycle } from '../policy/lifecycle.js';
import { deleteRepository, repositoryExists, repositoryStatus } from '../policy/repository-status.js';
import { isValidRepositoryName } from '../reference.js';
import type { GcService } from './service.js';

const ADMIN_ACCESS = [{ type: 'registry' as const, name: 'gc', actions: ['*' as const] }];

function flag(req: Request, name: string): boolean | undefined {
  const raw = new URL(req.originalUrl, 'http://registry').searchParams.get(name);
  if (raw === null) return undefined;
  if (raw === '' || raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new RegistryError(Code.UNSUPPORTED, { [name]: raw, reason: 'expected true or false' }, {}, `invalid ${name}`);
}

export function mountAdminRoutes(app: Express, services: Services, gc: GcService, lifecycle: Lifecycle): void {
  const admin = (handler: (req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response) => {
    const grant = await services.access.authorize(req, ADMIN_ACCESS);
    res.locals.subject = grant.subject;
    await handler(req, res);
  };
  app.post('/admin/gc', admin(async (req, res) => {
    const result = await gc.run({ dryRun: flag(req, 'dryRun') });
    if (result.status === 'busy') {
      res.status(409).json({ status: 'busy', holder: result.holder });
      return;
    }
    res.json(result);
  }));
  app.post('/admin/retention', admin(async (req, res) => {
    const report = await lifecycle.retention.apply({ dryRun: flag(req, 'dryRun') ?? false });
    res.json(report);
  }));
  app.get('/admin/quotas', admin(async (_req, res) => {
    res.json({ quotas: await lifecycle.quota.status() });
  }));
  const repositoryName = async (req: Request): Promise<string> => {
    const raw = (req.params as { name?: string | string[] }).name;
    const name = Array.isArray(raw) ? raw.join('/') : raw ?? '';
    if (!isValidRepositoryName(name)) throw new RegistryError(Code.NAME_INVALID, { name });
    if (!(await repositoryExists(services.storage, name))) throw new RegistryError(Code.NAME_UNKNOWN, { name });
    return name;
  };
  app.get('/admin/repositories/*name', admin(async (req, res) => {
    const name = await repositoryName(req);
    res.json(await repositoryStatus(services.storage, lifecycle.settings, lifecycle.quota, name));
  }));
  app.delete('/admin/repositories/*name', admin(async (req, res) => {
    const name = await repositoryName(req);
    await deleteRepository(services.storage, name);
    lifecycle.quota.invalidate(name);
    lifecycle.events.emit('delete', name, { actor: res.locals.subject, repository: name, wholeRepository: true });
    res.status(202).json({ deleted: name });
  }));
}
