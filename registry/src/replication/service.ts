// Runs sync and replication rules: on their schedule, on demand (admin API), and,
// for replication rules with onPush, for each matching tag or signature pushed
// here (a write listener). A rule runs one pass at a time (a second request joins
// the one running); images are copied one after another, their blobs a few at a
// time. Status per rule (last run, what it copied, what failed) is kept for the
// admin API, and counted in metrics.
import { Code, RegistryError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import { parseDigest } from '../reference.js';
import type { WriteEvent, WriteListener } from '../write/write-events.js';
import type { Copier } from './copier.js';
import { COSIGN_TAG, ReplicationRule, type CopyJob, type Rule } from './rules.js';

export type Trigger = 'schedule' | 'admin' | 'push';

export interface RunReport {
  readonly rule: string;
  readonly kind: Rule['kind'];
  readonly trigger: Trigger;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly result: 'success' | 'partial' | 'failure';
  readonly images: number;
  readonly copied: { manifests: number; blobs: number; bytes: number };
  readonly skipped: number;
  readonly failed: number;
  /** The first failures, for the operator to read. */
  readonly errors: string[];
}

export interface RuleStatus {
  readonly name: string;
  readonly kind: Rule['kind'];
  readonly intervalSeconds: number;
  readonly running: boolean;
  readonly lastRun?: RunReport;
  readonly lastSuccessAt?: string;
}

const MAX_ERRORS = 20;

interface State {
  running?: Promise<RunReport>;
  lastRun?: RunReport;
  lastSuccessAt?: string;
  timer?: NodeJS.Timeout;
  /** Push jobs waiting, keyed to drop duplicates. */
  readonly queue: Map<string, CopyJob>;
  draining?: Promise<void>;
}

export class ReplicationService implements WriteListener {
  private readonly states = new Map<string, State>();
  private stopped = false;

  constructor(private readonly rules: readonly Rule[], private readonly log: Logger, private readonly metrics: Metrics,
    private readonly onReport: (report: RunReport) => void = () => undefined) {
    for (const r of rules) this.states.set(r.name, { queue: new Map() });
  }

  /** Starts the schedules; a sync rule with a schedule runs once right away (an empty cache fills without waiting a period). */
  start(): void {
    for (const rule of this.rules) {
      if (rule.intervalSeconds <= 0) continue;
      const state = this.states.get(rule.name)!;
      state.timer = setInterval(() => void this.run(rule.name, 'schedule').catch(() => undefined), rule.intervalSeconds * 1000);
      state.timer.unref();
      if (rule.kind === 'sync') setTimeout(() => void this.run(rule.name, 'schedule').catch(() => undefined), 1000).unref();
    }
  }

  status(): RuleStatus[] {
    return this.rules.map((r) => {
      const s = this.states.get(r.name)!;
      return { name: r.name, kind: r.kind, intervalSeconds: r.intervalSeconds, running: s.running !== undefined, lastRun: s.lastRun, lastSuccessAt: s.lastSuccessAt };
    });
  }

  /** Runs a whole rule now, or joins its run in progress; NAME_UNKNOWN for an unknown rule. */
  run(name: string, trigger: Trigger): Promise<RunReport> {
    const rule = this.rules.find((r) => r.name === name);
    if (!rule) return Promise.reject(new RegistryError(Code.NAME_UNKNOWN, { rule: name }, {}, `no sync or replication rule ${name}`));
    const state = this.states.get(name)!;
    state.running ??= this.execute(rule, trigger, () => rule.plan()).finally(() => { state.running = undefined; });
    return state.running;
  }

  /** Replicates what local pushes add: a selected tag, or a signature/SBOM of an image. */
  onWrite(event: WriteEvent): void {
    if (event.kind !== 'manifest-put' || event.cache || this.stopped) return;
    for (const rule of this.rules) {
      if (!(rule instanceof ReplicationRule) || !rule.config.onPush || !rule.covers(event.repo)) continue;
      const to = rule.destinationOf(event.repo);
      const tags = event.tags.filter((t) => rule.selector.matches(t) || COSIGN_TAG.test(t));
      const jobs: CopyJob[] = tags.map((tag) => ({ from: event.repo, to, tag }));
      if (!tags.length && event.subject && rule.config.referrers) jobs.push({ from: event.repo, to, digest: event.digest.value });
      if (jobs.length) this.enqueue(rule, jobs);
    }
  }

  /** Resolves when no push job is waiting or running (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const pending = [...this.states.values()].flatMap((s) => [s.draining, s.running]).filter((p) => p !== undefined);
      if (!pending.length) return;
      await Promise.all(pending.map((p) => p.catch(() => undefined)));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const s of this.states.values()) if (s.timer) clearInterval(s.timer);
    await this.idle();
    for (const r of this.rules) r.close();
  }

  private enqueue(rule: Rule, jobs: CopyJob[]): void {
    const state = this.states.get(rule.name)!;
    for (const j of jobs) state.queue.set(`${j.from}|${j.to}|${j.tag ?? j.digest}`, j);
    state.draining ??= (async () => {
      // Push jobs wait for a whole run of the same rule: the run copies them anyway.
      await state.running?.catch(() => undefined);
      while (state.queue.size && !this.stopped) {
        const batch = [...state.queue.values()];
        state.queue.clear();
        await this.execute(rule, 'push', async () => batch).catch(() => undefined);
      }
    })().finally(() => { state.draining = undefined; });
  }

  private async execute(rule: Rule, trigger: Trigger, plan: () => Promise<CopyJob[]>): Promise<RunReport> {
    const started = Date.now();
    const errors: string[] = [];
    let failed = 0;
    let images = 0;
    let copier: Copier | undefined;
    try {
      const jobs = await plan();
      copier = rule.copier(this.log);
      for (const job of jobs) {
        if (this.stopped) break;
        images++;
        try {
          const digest = job.digest ? parseDigest(job.digest) : undefined;
          const found = job.tag !== undefined ? await copier.copyTag(job.from, job.to, job.tag) : digest ? await copier.copyDigest(job.from, job.to, digest) : false;
          if (!found) throw new Error('not found at the source');
        } catch (err) {
          failed++;
          if (errors.length < MAX_ERRORS) errors.push(`${job.from}:${job.tag ?? job.digest}: ${(err as Error).message}`);
        }
      }
    } catch (err) {
      failed++;
      errors.push(`planning failed: ${(err as Error).message}`);
    }
    const counts = copier?.counts ?? { manifests: 0, blobs: 0, bytes: 0, skipped: 0 };
    const result: RunReport['result'] = failed === 0 ? 'success' : failed < images ? 'partial' : 'failure';
    const report: RunReport = {
      rule: rule.name, kind: rule.kind, trigger, startedAt: new Date(started).toISOString(), durationSeconds: (Date.now() - started) / 1000,
      result, images, copied: { manifests: counts.manifests, blobs: counts.blobs, bytes: counts.bytes }, skipped: counts.skipped, failed, errors,
    };
    this.record(rule, report);
    return report;
  }

  private record(rule: Rule, report: RunReport): void {
    const state = this.states.get(rule.name)!;
    state.lastRun = report;
    const labels = { rule: rule.name };
    this.metrics.replicationRuns.inc({ ...labels, kind: rule.kind, result: report.result });
    this.metrics.replicationCopied.inc({ ...labels, kind: 'manifest' }, report.copied.manifests);
    this.metrics.replicationCopied.inc({ ...labels, kind: 'blob' }, report.copied.blobs);
    this.metrics.replicationCopied.inc({ ...labels, kind: 'skipped' }, report.skipped);
    this.metrics.replicationBytes.inc(labels, report.copied.bytes);
    if (report.failed) this.metrics.replicationFailures.inc(labels, report.failed);
    if (report.result === 'success') {
      state.lastSuccessAt = new Date().toISOString();
      this.metrics.replicationLastSuccess.set(labels, Date.now() / 1000);
    }
    const log = report.result === 'success' ? this.log.info.bind(this.log) : this.log.warn.bind(this.log);
    log({ msg: `${rule.kind} run finished`, ...report, errors: report.errors.slice(0, 3) });
    this.onReport(report);
  }
}
