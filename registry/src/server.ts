// Builds a running registry from a config: storage, policies, the write path, access
// control, the app, the HTTP(S) listener, background jobs, and a graceful stop.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { RegistryConfig } from '#contract/config/schema.js';
import { mountAdminRoutes } from './api/admin-routes.js';
import { createRequestListener } from './api/app.js';
import { AuditedAccess, auditRequests } from './api/audit-requests.js';
import type { Services } from './api/handlers/context.js';
import type { AccessController } from './auth/access.js';
import { createAuth } from './auth/setup.js';
import { reloadTlsOnChange } from './auth/tls-reload.js';
import { AuditLog } from './events/audit-log.js';
import { EventBus } from './events/event-bus.js';
import { CloudEventListener, PullRecorder } from './events/event-listener.js';
import { GcService } from './gc/service.js';
import { createLogger, type Logger } from './log.js';
import { Metrics } from './metrics/metrics.js';
import { TagImmutability } from './policy/immutability.js';
import { createQuotaGate } from './policy/quota-gate.js';
import { RepositorySettings } from './policy/repository-settings.js';
import { Retention } from './policy/retention.js';
import { openStorage } from './storage/registry-storage.js';
import { QuotaListener } from './write/quota-listener.js';
import { WritePath } from './write/write-path.js';

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
  const metrics = new Metrics();
  const storage = await openStorage(config.storage, metrics);
  const auth = options.access ? { access: options.access, routes: undefined } : await createAuth(config, log, metrics);
  const events = new EventBus(config.events, config.events.source ?? config.http.publicURL ?? 'urn:berth:registry', log, metrics);
  const settings = new RepositorySettings(config.repositories);
  const quota = createQuotaGate(settings, storage, metrics);
  const writes = new WritePath({
    storage, quota, immutability: new TagImmutability(settings, storage.tags), metrics, log,
    listeners: [new QuotaListener(quota), new CloudEventListener(events)],
  });
  const retention = new Retention(settings, storage, log, metrics);
  const gc = new GcService({ storage, config: config.gc, log, metrics, retention, writes });
  const audited = config.events.auditLog.enabled ? new AuditedAccess(auth.access) : undefined;
  const auditLog = audited ? new AuditLog(config.events.auditLog.file) : undefined;
  const access = audited ?? auth.access;
  const services: Services = { config, storage, writes, pulls: new PullRecorder(events), access, quota, retention, gc, log, metrics };
  const app = createRequestListener(services, {
    extraRoutes: (express) => {
      auth.routes?.(express);
      mountAdminRoutes(express, services);
    },
    serveMetrics: config.metrics.enabled && !config.metrics.listen,
    ready: async () => {
      await storage.ping();
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
      writes.blobs.purgeAbandoned(config.uploads.purgeAfterSeconds)
        .then((n) => { if (n) log.info({ msg: 'purged abandoned uploads', count: n }); })
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
  log.info({ msg: 'registry listening', url, storage: storage.kind, auth: config.auth.enabled });

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
      await gc.stop();
      await events.close();
      await auditLog?.close();
      await storage.close();
      log.info({ msg: 'registry stopped' });
    })();
    return stopping;
  };
  return { server, services, events, url, stop };
}
