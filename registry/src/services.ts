// Assembles the registry's services from a config: storage, repository policies,
// the write path and its listeners, garbage collection, events and access control.
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
import { TagImmutability } from './policy/immutability.js';
import { createQuotaGate } from './policy/quota-gate.js';
import { RepositorySettings } from './policy/repository-settings.js';
import { Retention } from './policy/retention.js';
import { BlobPresence } from './read/blob-presence.js';
import { Listings } from './read/listings.js';
import { openStorage } from './storage/registry-storage.js';
import { ManifestBodies } from './limits/manifest-bodies.js';
import { QuotaListener } from './write/quota-listener.js';
import { WritePath } from './write/write-path.js';

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
  const settings = new RepositorySettings(config.repositories);
  const quota = createQuotaGate(settings, storage, index, metrics);
  const writes = new WritePath({
    storage, index, quota, immutability: new TagImmutability(settings, storage.tags), metrics, log,
    listeners: [new QuotaListener(quota), new CloudEventListener(events), new AuditListener(auditLog)],
  });
  const retention = new Retention(settings, index, log, metrics);
  const scrub = new ScrubService(storage, index, log, config.metadata.scrub);
  const gcStatus = new GcStatus(config.gc, auditLog);
  const gc = new GcService({
    storage, index, repair: scrub.repair, config: config.gc, log, metrics, retention, writes, onFinished: (dryRun, outcome) => gcStatus.finished(dryRun, outcome),
  });
  const audit = { log: auditLog, access: new AuditedAccess(auth.access) };
  const access = audit.access;
  const services: Services = {
    config, storage, writes, index, listings: new Listings(index), blobPresence: new BlobPresence(index, storage, log),
    pulls: new PullRecorder(events, index), access, quota, retention, gc, gcStatus, scrub, log, metrics,
    manifestBodies: new ManifestBodies(config.http.maxManifestBytes, config.limits),
    browsing: new Browsing(index, storage, quota, settings),
  };
  return { services, events, authRoutes: auth.routes, audit };
}
