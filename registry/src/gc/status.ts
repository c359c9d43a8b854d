// What the storage page says about garbage collection: whether it is scheduled,
// and how the last run in this process ended. Each run is also an audit record
// (`gc.run`), so the activity page lists every replica's runs.
import type { RegistryConfig } from '#contract/config/schema.js';
import type { GcRunResult } from './service.js';

/** Where each run is recorded: the audit log (events/), named by shape so gc/ does not import upward. */
export interface RunLog {
  record(entry: { time: string; actor: string; action: string; result: 'success' | 'failure'; detail: Record<string, unknown> }): void;
}

export interface GcRunSummary {
  readonly finishedAt: string;
  readonly dryRun: boolean;
  readonly result: 'success' | 'aborted' | 'failure';
  readonly durationSeconds?: number;
  readonly blobsDeleted?: number;
  readonly bytesFreed?: number;
  readonly manifestsDeleted?: number;
  readonly retentionDeleted?: number;
  readonly error?: string;
}

export interface GcState {
  readonly enabled: boolean;
  readonly intervalSeconds: number;
  readonly dryRun: boolean;
  readonly lastRun?: GcRunSummary;
}

export class GcStatus {
  private last: GcRunSummary | undefined;

  constructor(private readonly config: RegistryConfig['gc'], private readonly audit: RunLog) {}

  finished(dryRun: boolean, outcome: GcRunResult | Error): void {
    const finishedAt = new Date().toISOString();
    if (outcome instanceof Error) {
      this.last = { finishedAt, dryRun, result: 'failure', error: outcome.message };
    } else if (outcome.status === 'done') {
      const { report, retention } = outcome;
      this.last = {
        finishedAt, dryRun, result: report.aborted ? 'aborted' : 'success', durationSeconds: report.durationSeconds,
        blobsDeleted: report.blobsDeleted, bytesFreed: report.bytesFreed, manifestsDeleted: report.manifestsDeleted.length,
        retentionDeleted: retention.deleted.length,
      };
    } else {
      return;
    }
    const { finishedAt: _time, result, ...detail } = this.last;
    this.audit.record({ time: finishedAt, actor: 'gc', action: 'gc.run', result: result === 'failure' ? 'failure' : 'success', detail: { ...detail, outcome: result } });
  }

  state(): GcState {
    return { enabled: this.config.enabled, intervalSeconds: this.config.intervalSeconds, dryRun: this.config.dryRun, ...(this.last ? { lastRun: this.last } : {}) };
  }
}
