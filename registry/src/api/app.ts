// Express wiring: request context and access log, health and metrics endpoints,
// the /v2 dispatcher over the route table, and the one error renderer.
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { isValidRepositoryName } from '../storage/names.js';
import { InvalidPathError, StorageUnavailableError } from '../storage/driver/driver.js';
import { Code, RegistryError } from './errors.js';
import type { Ctx, Services } from './handlers/context.js';
import { matchRoute, type Method } from './routes.js';

export interface AppOptions {
  /** Extra routers mounted before /v2 (the token endpoint). */
  readonly extraRoutes?: (app: express.Express) => void;
  /** Whether /metrics is served on this listener. */
  readonly serveMetrics?: boolean;
  /** Readiness probe; resolves when the registry can serve. */
  readonly ready?: () => Promise<boolean>;
}

export function createApp(services: Services, options: AppOptions = {}): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', false);
  app.use(accessLog(services));

  app.get('/healthz', (_req, res) => { res.json({ status: 'ok' }); });
  app.get('/readyz', async (_req, res) => {
    const ok = options.ready ? await options.ready().catch(() => false) : true;
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready' });
  });
  if (options.serveMetrics ?? true) {
    app.get('/metrics', async (_req, res) => {
      res.type(services.metrics.registry.contentType).send(await services.metrics.registry.metrics());
    });
  }
  options.extraRoutes?.(app);
  app.use('/v2', dispatch(services));
  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new RegistryError(Code.UNSUPPORTED, { path: req.path }, {}, 'no such endpoint'));
  });
  app.use(renderError(services));
  return app;
}

function accessLog(services: Services) {
  const { log, metrics, config } = services;
  return (req: Request, res: Response, next: NextFunction) => {
    const start = process.hrtime.bigint();
    const id = randomUUID();
    res.locals.requestId = id;
    res.locals.route = 'other';
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    res.on('close', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const route = res.locals.route as string;
      const status = res.writableFinished ? res.statusCode : 499;
      metrics.httpRequests.inc({ route, method: req.method, status });
      metrics.httpDuration.observe({ route, method: req.method }, seconds);
      if (config.log.accessLog) {
        log.info({
          msg: 'request', requestId: id, method: req.method, path: req.originalUrl.split('?')[0], route, status,
          durationMs: Math.round(seconds * 1e6) / 1e3, remote: req.socket.remoteAddress,
          subject: res.locals.subject, bytesOut: Number(res.getHeader('Content-Length') ?? 0) || undefined,
        });
      }
    });
    next();
  };
}

function dispatch(services: Services) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const raw = req.originalUrl;
      const q = raw.indexOf('?');
      const path = q < 0 ? raw : raw.slice(0, q);
      const rest = path.replace(/^\/v2\/?/, '');
      const match = matchRoute(rest);
      if (!match) throw new RegistryError(Code.NAME_UNKNOWN, { path }, {}, 'no such route');
      res.locals.route = match.route.name;
      if (match.route.named && !isValidRepositoryName(match.repo)) throw new RegistryError(Code.NAME_INVALID, { name: match.repo });
      const op = match.route.methods[req.method as Method]
        ?? (req.method === 'HEAD' ? match.route.methods.GET : undefined);
      if (!op) {
        throw new RegistryError(Code.UNSUPPORTED, { method: req.method, route: match.route.name },
          { Allow: Object.keys(match.route.methods).join(', ') }, 'method not allowed');
      }
      const ctx: Ctx = { req, res, services, repo: match.repo, params: match.params, query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
      ctx.grant = await services.access.authorize(req, op.access(ctx), op.optionalAccess?.(ctx));
      res.locals.subject = ctx.grant.subject;
      await op.handler(ctx);
    } catch (err) {
      next(err);
    }
  };
}

function isClientAbort(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNABORTED' || (err as Error)?.message === 'aborted';
}

function renderError(services: Services) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let error: RegistryError;
    if (err instanceof RegistryError) {
      error = err;
    } else if (err instanceof StorageUnavailableError) {
      services.log.warn({ msg: 'storage unavailable', err: err.message, path: req.path });
      error = new RegistryError(Code.UNAVAILABLE, undefined, { 'Retry-After': '5' });
    } else if (err instanceof InvalidPathError) {
      error = new RegistryError(Code.NAME_INVALID, undefined);
    } else if (isClientAbort(err) || req.destroyed) {
      services.log.debug({ msg: 'client went away', path: req.path, requestId: res.locals.requestId });
      res.destroy();
      return;
    } else if ((err as { type?: string })?.type === 'entity.too.large') {
      error = new RegistryError(Code.SIZE_INVALID, undefined);
    } else {
      services.log.error({ msg: 'unhandled error', err, path: req.path, requestId: res.locals.requestId });
      error = new RegistryError(Code.UNKNOWN, undefined);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify({ errors: [error.toJSON()] });
    for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
    res.writeHead(error.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
  };
}
