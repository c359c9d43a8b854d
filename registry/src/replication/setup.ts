// Builds the sync and replication rules from the config and the service that runs them.
import type { RegistryConfig } from '#contract/config/schema.js';
import type { Logger } from '../log.js';
import type { MetadataIndex } from '../metadata/index.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Mirror } from '../mirror/mirror.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import type { WritePath } from '../write/write-path.js';
import { ReplicationRule, SyncRule, type Rule } from './rules.js';
import { ReplicationService, type RunReport } from './service.js';

export interface ReplicationDeps {
  readonly config: RegistryConfig;
  readonly mirror: Mirror;
  readonly storage: RegistryStorage;
  /** Local referrers (signatures, SBOMs) come from the metadata index. */
  readonly index: MetadataIndex;
  readonly writes: WritePath;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly onReport?: (report: RunReport) => void;
}

export async function openReplication(deps: ReplicationDeps): Promise<ReplicationService> {
  const rules: Rule[] = [
    ...deps.config.mirror.sync.map((r) => new SyncRule(r, deps.mirror, deps.storage, deps.writes)),
    ...(await Promise.all(deps.config.replication.map((r) => ReplicationRule.open(r, deps.storage, deps.index, deps.log)))),
  ];
  if (rules.length) deps.log.info({ msg: 'sync and replication rules', rules: rules.map((r) => ({ name: r.name, kind: r.kind, intervalSeconds: r.intervalSeconds })) });
  return new ReplicationService(rules, deps.log, deps.metrics, deps.onReport);
}
