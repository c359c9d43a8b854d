// Assembles the supply-chain services: trusted keys, scanning (a write
// listener), signature verdicts and the pull gate the manifest reads pass
// through. Loaded only when needed (../supply-chain.ts): these modules cost about
// 10 MiB of resident memory.
import type { RegistryConfig } from '#contract/config/schema.js';
import type { EventSink } from '../events/event-bus.js';
import type { Logger } from '../log.js';
import type { MetadataIndex } from '../metadata/index.js';
import type { Metrics } from '../metrics/metrics.js';
import type { RepositorySettings } from '../policy/repository-settings.js';
import { PullGate } from '../pull-policy/pull-gate.js';
import { SignatureVerdicts } from '../pull-policy/signature-verdicts.js';
import { ScanService } from '../scanning/scan-service.js';
import { TrustStore } from '../scanning/trust-store.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import type { WritePath } from '../write/write-path.js';

export interface SupplyChainDeps {
  readonly config: RegistryConfig;
  readonly storage: RegistryStorage;
  readonly index: MetadataIndex;
  readonly writes: WritePath;
  readonly settings: RepositorySettings;
  readonly events: EventSink;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly scannerToken?: (repo: string) => Promise<string>;
}

export interface LoadedSupplyChain {
  readonly settings: RepositorySettings;
  readonly trust: TrustStore;
  readonly scans: ScanService;
  readonly signatures: SignatureVerdicts;
  readonly gate: PullGate;
  start(): void;
  stop(): Promise<void>;
}

export async function assembleSupplyChain(deps: SupplyChainDeps): Promise<LoadedSupplyChain> {
  const { config, storage, index, writes, settings, events, metrics, log } = deps;
  const trust = new TrustStore(config.security.trust, log);
  await trust.load();
  const scans = new ScanService({ config, storage, index, writes, trust, events, metrics, log, scannerToken: deps.scannerToken });
  const signatures = new SignatureVerdicts(storage, index, trust, metrics, log);
  const gate = new PullGate(settings, scans, signatures, metrics, log);
  return {
    settings, trust, scans, signatures, gate,
    start: () => {
      trust.start();
      scans.start();
    },
    stop: async () => {
      trust.stop();
      signatures.close();
      await scans.stop();
    },
  };
}
