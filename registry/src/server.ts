// Builds a running registry from a config: driver, stores, access control, app,
// HTTP(S) listener, background jobs, and a graceful stop.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createRequestListener } from './api/app.js';
import type { Services } from './api/handlers/context.js';
import type { AccessController } from './auth/access.js';
import { createAuth } from './auth/setup.js';
import { reloadTlsOnChange } from './auth/tls-reload.js';
import type { RegistryConfig } from '#contract/config/schema.js';
import { createLogger, type Logger } from './log.js';
import { Metrics } from './metrics/metrics.js';
import { createDriver } from './storage/driver/index.js';
import { instrument } from './storage/driver/instrumented.js';
import { createRegistryStorage } from './storage/registry-storage.js';
import { AuditLog } from './events/audit-log.js';
import { AuditedAccess, auditRequests } from './events/audit-requests.js';
import { EventBus } from './events/event-bus.js';
import { mountAdminRoutes } from './gc/admin-routes.js';
import { GcService } from './gc/service.js';
import { Lifecycle } from './policy/lifecycle.js';

export interface RunningRegistry {
  readonly server: Server;
  readonly services: Services;
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
  const metrics = new Metrics();
  const driver = instrument(await createDriver(config.storage), metrics);
  const storage = createRegistryStorage(driver);
  const auth = options.access ? { access: options.access, routes: undefined } : await createAuth(config, log, metrics);
  const events = new EventBus(config.events, config.events.source ?? config.http.publicURL ?? 'urn:berth:registry', log, metrics);
  const lifecycle = new Lifecycle(config, storage, events, log, metrics);
  const gc = new GcService({
    storage, config: config.gc, log, metrics, retention: lifecycle.retention, afterSweep: () => lifecycle.quota.invalidate(),
  });
  lifecycle.gc = gc;
  const audited = config.events.auditLog.enabled ? new AuditedAccess(auth.access) : undefined;
  const auditLog = audited ? new AuditLog(config.events.auditLog.file) : undefined;
  const access = audited ?? auth.access;
  const services: Services = { config, storage, access, log, metrics, lifecycle };
  const app = createRequestListener(services, {
    extraRoutes: (express) => {
      auth.routes?.(express);
      mountAdminRoutes(express, services, gc, lifecycle);
    },
    serveMetrics: config.metrics.enabled && !config.metrics.listen,
    ready: async () => {
      await driver.list('/').catch((err: Error) => {
        if (err.name !== 'PathNotFoundError') throw err;
      });
      return true;
    },
  });

  const tls = config.http.tls;
  const server: Server = tls
    ? createHttpsServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, app)
    : createHttpServer(app);
  if (audited && auditLog) auditRequests(server, auditLog, audited);
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 0; // uploads of large blobs may legitimately take long
  server.headersTimeout = 60_000;
  const { host, port } = splitHostPort(config.http.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const tlsWatch = tls ? await reloadTlsOnChange(server as HttpsServer, tls, log) : undefined;
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${tls ? 'https' : 'http'}://${shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost}:${address.port}`;

  const timers: NodeJS.Timeout[] = [];
  if (config.uploads.purgeIntervalSeconds > 0) {
    const timer = setInterval(() => {
      storage.uploads.purge(config.uploads.purgeAfterSeconds)
        .then((n) => {
          metrics.uploadsPurged.inc(n);
          if (n) {
            lifecycle.quota.invalidate(); // purged uploads no longer count against quotas
            log.info({ msg: 'purged abandoned uploads', count: n });
          }
        })
        .catch((err) => log.error({ msg: 'upload purge failed', err }));
    }, config.uploads.purgeIntervalSeconds * 1000);
    timer.unref();
    timers.push(timer);
  }

  let metricsServer: Server | undefined;
  if (config.metrics.enabled && config.metrics.listen) {
    const m = splitHostPort(config.metrics.listen);
    metricsServer = createHttpServer(async (req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(await metrics.registry.metrics());
    });
    await new Promise<void>((resolve) => metricsServer!.listen(m.port, m.host, resolve));
  }

  gc.start();
  log.info({ msg: 'registry listening', url, storage: driver.name, auth: config.auth.enabled });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      timers.forEach(clearInterval);
      tlsWatch?.close();
      // Stop accepting, let in-flight requests finish, then cut idle and stuck connections.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, config.http.drainTimeoutSeconds * 1000).unref());
      await Promise.race([closed, deadline]);
      server.closeAllConnections();
      metricsServer?.close();
      await access.close();
      await lifecycle.close();
      await auditLog?.close();
      await driver.close();
      log.info({ msg: 'registry stopped' });
    })();
    return stopping;
  };
  return { server, services, url, stop };
}
