// Runs a registry: the assembled services (services.ts) behind an HTTP(S)
// listener, the background jobs, and a graceful stop.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { RegistryConfig } from '#contract/config/schema.js';
import { mountAdminRoutes } from './api/admin-routes.js';
import { createRequestListener } from './api/app.js';
import { guardRequests, hardenServer, serverOptions, type RefusalObserver } from './api/http-hardening.js';
import { auditRequests } from './api/audit-requests.js';
import type { Services } from './api/handlers/context.js';
import type { AccessController } from './auth/access.js';
import { reloadTlsOnChange } from './auth/tls-reload.js';
import type { EventBus } from './events/event-bus.js';
import { createLogger, type Logger } from './log.js';
import { assembleServices, closeServices } from './services.js';
import { AuditRetention } from './metadata/audit-retention.js';
import { configureJsonLimits } from './manifest/bounded-json.js';
import { RequestLimits } from './limits/request-limits.js';
import { configureHashWorkers } from './storage/hashing/worker-hash.js';

export interface RunningRegistry {
  readonly server: Server;
  readonly services: Services;
  /** The webhook fan-out (tests wait for deliveries with `flushed()`). */
  readonly events: EventBus;
  /** Base URL, e.g. http://127.0.0.1:5000 */
  readonly url: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly log?: Logger;
  readonly access?: AccessController;
}

function splitHostPort(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(listen.slice(i + 1)) };
}

export async function startRegistry(config: RegistryConfig, options: StartOptions = {}): Promise<RunningRegistry> {
  const log = options.log ?? createLogger(config.log.level);
  configureJsonLimits(config.limits.json);
  configureHashWorkers(config.limits.hashWorkers);
  const assembled = await assembleServices(config, log, options.access);
  const { services, events, authRoutes, audit } = assembled;
  const { storage, gc, scrub, access, mirror, replication } = services;
  await scrub.buildAtStart();
  const limits = new RequestLimits(config.limits);
  // The web UI's modules load only when it is on.
  const ui = config.ui.enabled ? { ...(await import('./api/browse/mount.js')), ...(await import('./api/ui-assets.js')) } : undefined;
  const app = createRequestListener(services, {
    extraRoutes: (express) => {
      authRoutes?.(express);
      mountAdminRoutes(express, services);
      if (ui) {
        ui.mountBrowseApi(express, services);
        ui.mountUi(express);
      }
    },
    serveMetrics: config.metrics.enabled && !config.metrics.listen,
    admit: (route, req, subject) => limits.admit(route, req, subject),
    ready: async () => {
      await storage.ping();
      return true;
    },
  });

  const tls = config.http.tls;
  const refusal: RefusalObserver = (status, reason) => {
    services.metrics.httpRequests.inc('refused', 'unknown', status);
    log.debug({ msg: 'request refused below the routes', status, reason });
  };
  const listener = guardRequests(config.http, app, refusal);
  const server: Server = tls
    ? createHttpsServer({ ...serverOptions(config.http), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, listener)
    : createHttpServer(serverOptions(config.http), listener);
  auditRequests(server, audit.log, audit.access);
  hardenServer(server, config.http, refusal);
  const url = await listen(server, config.http.listen, tls !== undefined);
  const tlsWatch = tls ? await reloadTlsOnChange(server as HttpsServer, tls, log) : undefined;
  const purge = startUploadPurge(services);
  const metricsServer = config.metrics.enabled && config.metrics.listen ? await serveMetrics(services, config.metrics.listen) : undefined;
  const auditRetention = new AuditRetention(services.index, config.metadata.audit, log);
  gc.start();
  scrub.start();
  auditRetention.start();
  replication.start();
  services.security.start();
  log.info({ msg: 'registry listening', url, storage: storage.kind, auth: config.auth.enabled });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (purge) clearInterval(purge);
      tlsWatch?.close();
      await drain(server, config.http.drainTimeoutSeconds);
      metricsServer?.close();
      await access.close();
      await replication.stop();
      await mirror.close();
      await gc.stop();
      await scrub.stop();
      await auditRetention.stop();
      await closeServices(assembled);
      log.info({ msg: 'registry stopped' });
    })();
    return stopping;
  };
  return { server, services, events, url, stop };
}

/** Listens on HOST:PORT; resolves with the base URL clients use. */
async function listen(server: Server, address: string, tls: boolean): Promise<string> {
  const { host, port } = splitHostPort(address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return `${tls ? 'https' : 'http'}://${shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost}:${bound.port}`;
}

/** Purges abandoned uploads on the configured interval (through the write path, so quotas follow). */
function startUploadPurge({ config, writes, log }: Services): NodeJS.Timeout | undefined {
  if (config.uploads.purgeIntervalSeconds <= 0) return undefined;
  const timer = setInterval(() => {
    writes.blobs.purgeAbandoned(config.uploads.purgeAfterSeconds)
      .then((n) => { if (n) log.info({ msg: 'purged abandoned uploads', count: n }); })
      .catch((err) => log.error({ msg: 'upload purge failed', err }));
  }, config.uploads.purgeIntervalSeconds * 1000);
  timer.unref();
  return timer;
}

/** /metrics on a listener of its own (`metrics.listen`). */
async function serveMetrics({ metrics, log }: Services, address: string): Promise<Server> {
  const { host, port } = splitHostPort(address);
  const server = createHttpServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text),
      (err: unknown) => {
        log.error({ msg: 'metrics collection failed', err });
        res.writeHead(500).end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return server;
}

/** Stops accepting, lets in-flight requests finish for up to `seconds`, then cuts idle and stuck connections. */
async function drain(server: Server, seconds: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const deadline = new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000).unref());
  await Promise.race([closed, deadline]);
  server.closeAllConnections();
}
