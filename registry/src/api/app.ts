// Express wiring: request context and access log, health and metrics endpoints,
// the /v2 dispatcher over the route table, and the one error renderer.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { isValidRepositoryName } from '../reference.js';
import { Code, RegistryError } from '../errors.js';
import { renderError } from './errors.js';
import type { Ctx, Services } from './handlers/context.js';
import { matchRoute, type Method } from './routes.js';

export interface AppOptions {
  /** Extra routers mounted before /v2 (the token endpoint). */
  readonly extraRoutes?: (app: express.Express) => void;
  /** Whether /metrics is served on this listener. */
  readonly serveMetrics?: boolean;
  /** Readiness probe; resolves when the registry can serve. */
  readonly ready?: () => Promise<boolean>;
  /** Concurrency slots for expensive /v2 requests, taken after authorization (limits/request-limits.ts). */
  readonly admit?: (route: string, req: IncomingMessage, subject: string | undefined) => Promise<() => void>;
}

function createApp(services: Services, options: AppOptions = {}): express.Express {
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
  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new RegistryError(Code.UNSUPPORTED, { path: req.path }, {}, 'no such endpoint'));
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    renderError(err, req, res, services.log, { path: pathOf(req), requestId: res.locals.requestId as string });
  });
  return app;
}

/**
 * The server's request listener. The /v2 API is the hot path: it skips express
 * (router walk, per-request prototype swaps of req/res, res.locals) and goes
 * straight to the route table, which halves the CPU cost of a manifest or blob
 * HEAD. Everything else (health, metrics, token endpoint, unknown paths) goes
 * through the express app.
 */
export function createRequestListener(services: Services, options: AppOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const app = createApp(services, options);
  const api = apiHandler(services, options.admit);
  return (req, res) => {
    if (isApiPath(req.url)) api(req, res);
    else app(req, res);
  };
}

function isApiPath(url: string | undefined): boolean {
  return url !== undefined && url.startsWith('/v2') && (url.length === 3 || url[3] === '/' || url[3] === '?');
}

/** Per-request facts the access log and metrics report when the response closes. */
interface RequestState {
  readonly requestId: string;
  route: string;
  subject?: string;
}

function apiHandler(services: Services, admit: AppOptions['admit']) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const state: RequestState = { requestId: randomUUID(), route: 'other' };
    observe(services, req, res, state);
    dispatch(services, req, res, state, admit).catch((err) => renderError(err, req, res, services.log, { path: pathOf(req), requestId: state.requestId }));
  };
}

function accessLog(services: Services) {
  return (req: Request, res: Response, next: NextFunction) => {
    res.locals.requestId = randomUUID();
    res.locals.route = 'other';
    observe(services, req, res, res.locals as unknown as RequestState);
    next();
  };
}

/** Sets the API version header and, when the response closes, counts it and writes the access log line. */
function observe(services: Services, req: IncomingMessage, res: ServerResponse, state: RequestState): void {
  const { log, metrics, config } = services;
  const start = process.hrtime.bigint();
  const remote = req.socket.remoteAddress; // read now: by 'close' an aborted request's socket may be detached (null)
  res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
  res.on('close', () => {
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const route = state.route;
    const status = res.writableFinished ? res.statusCode : 499;
    metrics.httpRequests.inc(route, req.method ?? '', status);
    metrics.httpDuration.observe(route, req.method ?? '', seconds);
    if (config.log.accessLog) {
      log.info({
        msg: 'request', requestId: state.requestId, method: req.method, path: pathOf(req), route, status,
        durationMs: Math.round(seconds * 1e6) / 1e3, remote,
        subject: state.subject, bytesOut: Number(res.getHeader('Content-Length') ?? 0) || undefined,
      });
    }
  });
}

/** The request path without the query (express's originalUrl when express rewrote req.url). */
function pathOf(req: IncomingMessage): string {
  const raw = (req as Partial<Request>).originalUrl ?? req.url ?? '/';
  const q = raw.indexOf('?');
  return q < 0 ? raw : raw.slice(0, q);
}

async function dispatch(services: Services, req: IncomingMessage, res: ServerResponse, state: RequestState, admit: AppOptions['admit']): Promise<void> {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const rest = path.replace(/^\/v2\/?/, '');
  const match = matchRoute(rest);
  if (!match) throw new RegistryError(Code.NAME_UNKNOWN, { path }, {}, 'no such route');
  state.route = match.route.name;
  if (match.route.named && !isValidRepositoryName(match.repo)) throw new RegistryError(Code.NAME_INVALID, { name: match.repo });
  const op = match.route.methods[req.method as Method]
    ?? (req.method === 'HEAD' ? match.route.methods.GET : undefined);
  if (!op) {
    throw new RegistryError(Code.UNSUPPORTED, { method: req.method, route: match.route.name },
      { Allow: Object.keys(match.route.methods).join(', ') }, 'method not allowed');
  }
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  // `?ns=docker.io` and `/v2/docker.io/...` both name the cached repository docker.io/<name>.
  const { repo, cache } = match.route.named ? services.mirror.address(match.repo, query.get('ns')) : { repo: match.repo, cache: undefined };
  if (match.route.named && !isValidRepositoryName(repo)) throw new RegistryError(Code.NAME_INVALID, { name: repo });
  const ctx: Ctx = { req, res, services, repo, cache, params: match.params, query };
  if (cache && op.access(ctx).some((a) => a.actions.includes('push'))) {
    throw new RegistryError(Code.UNSUPPORTED, { repository: repo, reason: `a pull-through cache of ${cache.upstream.host}: its content comes from there` },
      {}, 'pushes into a cached namespace are not supported');
  }
  ctx.grant = await services.access.authorize(req, op.access(ctx), op.optionalAccess?.(ctx));
  state.subject = ctx.grant.subject;
  // Counted from here to the handler's end, whatever it is (answered, refused, failed, aborted): never leaks.
  const written = isClientWrite(match.route.name, req.method) ? services.writes.inFlight.begin() : undefined;
  try {
    const release = await admit?.(match.route.name, req, ctx.grant.subject);
    try {
      await op.handler(ctx);
    } finally {
      release?.();
    }
  } finally {
    written?.();
  }
}

/** Uploads (start with a body or not, chunks, completion) and manifest PUTs: what scans on push yield to. */
function isClientWrite(route: string, method: string | undefined): boolean {
  return (route === 'manifest' && method === 'PUT')
    || (route === 'upload-start' && method === 'POST')
    || (route === 'upload' && (method === 'PATCH' || method === 'PUT'));
}
