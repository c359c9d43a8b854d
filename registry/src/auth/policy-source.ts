// Holds the current policy and reloads it when the file changes. An invalid file
// never replaces a valid policy: the old one stays in force, the error is logged,
// and berth_policy_last_reload_success drops to 0 until a good file arrives.
import { readFile } from 'node:fs/promises';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import { watchFiles, type FileWatch } from './file-watch.js';
import { parsePolicy, Policy } from './policy.js';

export interface PolicySource {
  current(): Policy;
  close(): void;
}

export interface PolicyFileSourceOptions {
  readonly file: string;
  /** Patterns from the registry config's `repositories[].anonymousPull`, merged into every policy. */
  readonly anonymousPull: readonly string[];
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly pollMs?: number;
  /** Called after each reload attempt (tests and logs). */
  readonly onReload?: (result: 'success' | 'failure') => void;
}

/** A policy fixed for the process's life (no policy file configured). */
export function staticPolicy(policy: Policy): PolicySource {
  return { current: () => policy, close: () => undefined };
}

export class PolicyFileSource implements PolicySource {
  private policy: Policy;
  private watcher?: FileWatch;
  /** Bumped on every successful load; caches keyed to a policy compare it. */
  generation = 0;

  private constructor(private readonly options: PolicyFileSourceOptions) {
    this.policy = Policy.empty(options.anonymousPull);
  }

  static async open(options: PolicyFileSourceOptions): Promise<PolicyFileSource> {
    const source = new PolicyFileSource(options);
    await source.reload();
    source.watcher = await watchFiles([options.file], async () => { await source.reload(); }, { pollMs: options.pollMs });
    return source;
  }

  current(): Policy {
    return this.policy;
  }

  /** Reads and swaps in the file's policy; keeps the old one when the file is invalid. */
  async reload(): Promise<boolean> {
    const { file, log, metrics } = this.options;
    try {
      const text = await readFile(file, 'utf8');
      const next = parsePolicy(text, file, this.options.anonymousPull);
      this.policy = next;
      this.generation++;
      metrics.policyReloads.inc({ result: 'success' });
      metrics.policyLastReloadSuccess.set(1);
      log.info({ msg: 'access policy loaded', file, robots: next.robotCount, rules: next.ruleCount });
      this.options.onReload?.('success');
      return true;
    } catch (err) {
      metrics.policyReloads.inc({ result: 'failure' });
      metrics.policyLastReloadSuccess.set(0);
      log.error({ msg: 'access policy rejected; keeping the previous policy', file, error: (err as Error).message });
      this.options.onReload?.('failure');
      return false;
    }
  }

  close(): void {
    this.watcher?.close();
  }
}
