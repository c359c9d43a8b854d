// Assembles the registry's services from a config: storage, repository policies,
// the write path and its listeners, garbage collection, the pull-through cache,
// sync and replication, events and access control.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RegistryConfig } from '#contract/config/schema.js';
import { AuditedAccess } from './api/audit-requests.js';
import type { Services } from './api/handlers/context.js';
import type { AccessController } from './auth/access.js';
import { createAuth, type Auth } from './auth/setup.js';
import { Audit, AuditLog, type AuditSink } from './events/audit-log.js';
import { IndexAuditSink } from './events/audit-index-sink.js';
import { AuditListener } from './events/audit-listener.js';
import { GcStatus } from './gc/status.js';
import { Browsing } from './read/browsing.js';
import { EventBus } from './events/event-bus.js';
import { CloudEventListener, PullRecorder } from './events/event-listener.js';
import { GcService } from './gc/service.js';
import { ScrubService } from './scrub/service.js';
import { defaultSqlitePath } from './metadata/default-path.js';
import { indexOptions } from './metadata/from-config.js';
import { MetadataIndex } from './metadata/index.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics/metrics.js';
import { NO_MIRROR, type Mirror } from './mirror/mirror.js';
import { pinnedBySync } from './replication/rules.js';
import { openReplication } from './replication/setup.js';
import { TagImmutability } from './policy/immutability.js';
import { createQuotaGate } from './policy/quota-gate.js';
import { RepositorySettings } from './policy/repository-settings.js';
import { Retention } from './policy/retention.js';
import { BlobPresence } from './read/blob-presence.js';
import { ManifestResolution } from './read/manifest-resolution.js';
import { Listings } from './read/listings.js';
import { openStorage } from './storage/registry-storage.js';
import { ManifestBodies } from './limits/manifest-bodies.js';
import { QuotaListener } from './write/quota-listener.js';
import type { WriteListener } from './write/write-events.js';
import { WritePath } from './write/write-path.js';
import { openSupplyChain } from './supply-chain.js';

export interface Assembled {
  readonly services: Services;
  readonly events: EventBus;
  /** The token endpoint, when auth is on. */
  readonly authRoutes?: Auth['routes'];
  /** The audit records (the index, and the JSON-lines log when on): the HTTP server feeds them. */
  readonly audit: { readonly log: AuditSink; readonly access: AuditedAccess };
}

async function openIndex(config: RegistryConfig, log: Logger): Promise<MetadataIndex> {
  const options = indexOptions(config.metadata, defaultSqlitePath(config));
  if (options.engine.engine === 'sqlite' && options.engine.path !== ':memory:') await mkdir(dirname(options.engine.path), { recursive: true });
  return MetadataIndex.open(options, (err) => log.warn({ msg: 'metadata index background work failed', err: (err as Error).message }));
}

export async function assembleServices(config: RegistryConfig, log: Logger, accessOverride?: AccessController): Promise<Assembled> {
  const metrics = new Metrics();
  const storage = await openStorage(config.storage, metrics);
  const index = await openIndex(config, log);
  const auth = accessOverride ? { access: accessOverride, routes: undefined } : await createAuth(config, log, metrics);
  // Every record goes to the index (the activity API reads it); to a file or stdout when asked.
  const auditLog = new Audit([
    new IndexAuditSink(index, log),
    ...(config.events.auditLog.enabled ? [new AuditLog(config.events.auditLog.file)] : []),
  ]);
  const events = new EventBus(config.events, config.events.source ?? config.http.publicURL ?? 'urn:berth:registry', log, metrics);
  // A cached namespace's bytes count against its upstream's maxSizeBytes, never a team's quota.
  const settings = new RepositorySettings(config.repositories, { quotaExemptNamespaces: config.mirror.upstreams.map((u) => u.host) });
  const quota = createQuotaGate(settings, storage, index, metrics);
  const listeners: WriteListener[] = [new QuotaListener(quota), new CloudEventListener(events), new AuditListener(auditLog)];
  const writes = new WritePath({ storage, index, quota, immutability: new TagImmutability(settings, storage.tags), metrics, log, listeners });
  // Scanning listens to the write path it also writes through (its SBOM referrers), so it joins the listeners once built.
  const security = await openSupplyChain({ config, storage, index, writes, settings, events, metrics, log, scannerToken: 'scannerToken' in auth ? auth.scannerToken : undefined });
  listeners.push(security.listener);
  const retention = new Retention(settings, index, log, metrics);
  const scrub = new ScrubService(storage, index, log, config.metadata.scrub);
  const gcStatus = new GcStatus(config.gc, auditLog);
  const gc = new GcService({
    storage, index, repair: scrub.repair, config: config.gc, log, metrics, retention, writes, onFinished: (dryRun, outcome) => gcStatus.finished(dryRun, outcome),
  });
  // The cache's modules load only when upstreams are configured.
  const mirror: Mirror = config.mirror.upstreams.length
    ? await (await import('./mirror/pull-through.js')).PullThroughCache.open({ config, storage, index, writes, metrics, log, collect: () => gc.request(), pinned: pinnedBySync(config.mirror.sync) })
    : NO_MIRROR;
  const replication = await openReplication({
    config, mirror, storage, index, writes, log, metrics,
    onReport: (report) => events.emit('replication', undefined, { ...report }, report.result),
  });
  // The write path holds this array: the cache's budget and push replication hear every write from now on.
  listeners.push(mirror.listener, replication);
  const audit = { log: auditLog, access: new AuditedAccess(auth.access) };
  const access = audit.access;
  const services: Services = {
    config, storage, writes, index, listings: new Listings(index), blobPresence: new BlobPresence(index, storage, log),
    manifests: new ManifestResolution(index, storage, log),
    pulls: new PullRecorder(events, index), access, quota, retention, gc, gcStatus, scrub, mirror, replication, security, log, metrics,
    manifestBodies: new ManifestBodies(config.http.maxManifestBytes, config.limits),
    browsing: new Browsing(index, storage, quota, settings),
  };
  return { services, events, authRoutes: auth.routes, audit };
}

/**
 * Stops what assembleServices opened, in order: the supply chain (its scans write),
 * the event bus, the audit sinks (flushed), then the index and storage. Whoever
 * started the HTTP server or background jobs stops those first.
 */
export async function closeServices({ services, events, audit }: Assembled): Promise<void> {
  await services.security.stop();
  await events.close();
  await audit.log.close();
  await services.index.close();
  await services.storage.close();
}

