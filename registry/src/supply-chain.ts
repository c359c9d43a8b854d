// The supply-chain services as the registry holds them: scanning, the
// vulnerability database, trusted keys, signature verdicts and the pull gate,
// whose modules (about 10 MiB of resident memory) load only when needed. They
// load at start when anything is configured (scanning on, a trusted key, a
// repository's security rules); otherwise on the first request that needs them:
// the supply-chain API, or a pull a credential's pull policy applies to. Until
// then a pull no policy applies to costs one lookup, as it does once loaded, and
// the index still forgets what it knew of content GC removed.
import type { RegistryConfig } from '#contract/config/schema.js';
import type { Grant } from './auth/access.js';
import type { RepositorySettings } from './policy/repository-settings.js';
import { applicablePolicies } from './pull-policy/applicable.js';
import type { PulledManifest } from './pull-policy/pull-gate.js';
import type { LoadedSupplyChain, SupplyChainDeps } from './supply-chain/assemble.js';
import type { WriteEvent, WriteListener } from './write/write-events.js';

export type { LoadedSupplyChain, SupplyChainDeps } from './supply-chain/assemble.js';

export interface SupplyChain {
  readonly settings: RepositorySettings;
  /** Decides a manifest GET or HEAD (pull-policy/pull-gate.ts): resolves when the pull may proceed, DENIED otherwise. */
  readonly gate: { check(pulled: PulledManifest, grant: Grant | undefined): Promise<void> };
  /** Add to the write path's listeners: scanning on push, and the index's security records of collected content. */
  readonly listener: WriteListener;
  /** Whether the modules are loaded (they are at start when anything is configured). */
  readonly loaded: boolean;
  /** The services, loading them on first use. */
  load(): Promise<LoadedSupplyChain>;
  start(): void;
  stop(): Promise<void>;
}

/** Whether the config asks for anything the supply-chain modules do, so they load at start. */
export function supplyChainConfigured(config: RegistryConfig): boolean {
  return config.security.scanning.enabled || config.security.trust.keys.length > 0 || config.repositories.some((r) => r.security !== undefined);
}

class OnDemandSupplyChain implements SupplyChain {
  readonly listener: WriteListener = { onWrite: (event) => this.onWrite(event) };
  readonly gate = { check: (pulled: PulledManifest, grant: Grant | undefined) => this.check(pulled, grant) };
  private loading: Promise<LoadedSupplyChain> | undefined;
  private services: LoadedSupplyChain | undefined;
  private started = false;
  private stopped = false;

  constructor(private readonly deps: SupplyChainDeps) {}

  get settings(): RepositorySettings {
    return this.deps.settings;
  }

  get loaded(): boolean {
    return this.services !== undefined;
  }

  load(): Promise<LoadedSupplyChain> {
    this.loading ??= (async () => {
      const { assembleSupplyChain } = await import('./supply-chain/assemble.js');
      const services = await assembleSupplyChain(this.deps);
      if (this.started) this.deps.log.info({ msg: 'supply-chain services loaded on first use' });
      this.services = services;
      if (this.started && !this.stopped) services.start();
      return services;
    })();
    // A failed load (a key file unreadable mid-way) is tried again by the next request.
    this.loading.catch(() => { this.loading = undefined; });
    return this.loading;
  }

  private async check(pulled: PulledManifest, grant: Grant | undefined): Promise<void> {
    if (this.services) return this.services.gate.check(pulled, grant);
    // The gate's own first test, without loading it: most pulls have no policy at all.
    if (!applicablePolicies(this.deps.settings, pulled.repo, grant).any) return;
    return (await this.load()).gate.check(pulled, grant);
  }

  private onWrite(event: WriteEvent): void {
    if (this.services) {
      this.services.scans.onWrite(event);
      return;
    }
    // Scanning is off (else the services would be loaded): only the index's records of collected content need forgetting.
    if (event.kind === 'gc-blob-collected') void this.deps.index.forgetSecurity([event.digest.value]).catch(() => undefined);
  }

  start(): void {
    this.started = true;
    this.services?.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const services = this.loading ? await this.loading.catch(() => undefined) : undefined;
    await services?.stop();
  }
}

/** The supply-chain services, loaded now when configured (supplyChainConfigured), else on first need. */
export async function openSupplyChain(deps: SupplyChainDeps): Promise<SupplyChain> {
  const chain = new OnDemandSupplyChain(deps);
  if (supplyChainConfigured(deps.config)) await chain.load();
  return chain;
}
