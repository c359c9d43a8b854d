// The audit log: one record per write request, per denied request, and per change
// the registry makes on its own (retention deletions, garbage-collection runs): who,
// what, when, from where, and the result. Records go to every sink: the metadata
// index always (the activity page and API query it), and JSON lines to
// `events.auditLog.file` or stdout when `events.auditLog.enabled`.
import { createWriteStream, type WriteStream } from 'node:fs';

export interface AuditEntry {
  readonly time: string;
  /** The authenticated subject, what the client claimed when it was refused, or the system actor (`retention`, `gc`). */
  readonly actor: string;
  /** For a federated identity: its issuer and, for a pod's token, the pod's name and uid. */
  readonly identity?: Readonly<Record<string, string>>;
  readonly action: string;
  /** The request, for records of HTTP requests. */
  readonly method?: string;
  readonly path?: string;
  readonly repository?: string;
  readonly tag?: string;
  readonly digest?: string;
  readonly remote?: string;
  readonly status?: number;
  readonly result: 'success' | 'denied' | 'failure';
  readonly detail?: Record<string, unknown>;
}

export interface AuditSink {
  record(entry: AuditEntry): void;
  close(): Promise<void>;
}

/** JSON lines, appended to a file or written to stdout. */
export class AuditLog implements AuditSink {
  private readonly out: WriteStream | NodeJS.WriteStream;
  private readonly owned: boolean;

  constructor(file?: string) {
    this.out = file ? createWriteStream(file, { flags: 'a' }) : process.stdout;
    this.owned = file !== undefined;
  }

  record(entry: AuditEntry): void {
    this.out.write(JSON.stringify({ audit: true, ...entry }) + '\n');
  }

  async close(): Promise<void> {
    if (!this.owned) return;
    await new Promise<void>((resolve) => (this.out as WriteStream).end(resolve));
  }
}

/** Every record to every sink, in order. */
export class Audit implements AuditSink {
  constructor(private readonly sinks: readonly AuditSink[]) {}

  record(entry: AuditEntry): void {
    for (const sink of this.sinks) sink.record(entry);
  }

  async close(): Promise<void> {
    for (const sink of this.sinks) await sink.close();
  }
}
