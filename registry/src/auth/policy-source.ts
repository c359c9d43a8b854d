// Holds the current policy and reloads it when the file changes. An invalid file
// never replaces a valid policy: the old one stays in force, the error is logged,
// and berth_policy_last_reload_success drops to 0 until a good file arrives. Robot
// files (robot-files.ts) are read with it on every change of any of them; one that
// does not parse has its robots refused (fail closed: an old copy could hold revoked
// secrets), and the metric drops to 0 the same way.
import { readFile } from 'node:fs/promises';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import { watchFiles, type FileWatch } from './file-watch.js';
import { parsePolicy, Policy } from './policy.js';
import { mergeRobots, readRobotFile } from './robot-files.js';

export interface PolicySource {
  current(): Policy;
  close(): void;
}

export interface PolicyFileSourceOptions {
  readonly file: string;
  /** Files with more robots (no rules), e.g. the operator's shards of a large policy. */
  readonly robotFiles?: readonly string[];
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
    source.watcher = await watchFiles([options.file, ...(options.robotFiles ?? [])], async () => { await source.reload(); }, { pollMs: options.pollMs });
    return source;
  }

  current(): Policy {
    return this.policy;
  }

  /**
   * Reads and swaps in the files' policy; keeps the old one when the policy file is invalid.
   * Returns false when anything was rejected (the policy file, or a robot file's robots).
   */
  async reload(): Promise<boolean> {
    const { file, log, metrics } = this.options;
    try {
      const [text, robotFiles] = await Promise.all([readFile(file, 'utf8'), Promise.all((this.options.robotFiles ?? []).map(readRobotFile))]);
      let problems: string[] = [];
      let ignored: string[] = [];
      const next = parsePolicy(text, file, this.options.anonymousPull, (robots) => {
        const merged = mergeRobots(robots, robotFiles);
        ({ problems, ignored } = merged);
        return merged.robots;
      });
      this.policy = next;
      this.generation++;
      for (const problem of problems) log.error({ msg: 'access policy robots refused', file, problem });
      for (const entry of ignored) log.warn({ msg: 'access policy robot entry ignored', file, entry });
      const result = problems.length ? 'failure' : 'success';
      metrics.policyReloads.inc({ result });
      metrics.policyLastReloadSuccess.set(problems.length ? 0 : 1);
      log.info({ msg: 'access policy loaded', file, robotFiles: robotFiles.length, robots: next.robotCount, rules: next.ruleCount });
      this.options.onReload?.(result);
      return !problems.length;
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
