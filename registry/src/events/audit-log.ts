// The audit log: one JSON line per write and per denied request: who, what, when,
// from where, and the result. It goes to `events.auditLog.file` (appended) or to
// stdout, separate from the operational log so it can be shipped and kept apart.
import { createWriteStream, type WriteStream } from 'node:fs';

export interface AuditEntry {
  readonly time: string;
  /** The authenticated subject, or what the client claimed when it was refused. */
  readonly actor: string;
  /** For a federated identity: its issuer and, for a pod's token, the pod's name and uid. */
  readonly identity?: Readonly<Record<string, string>>;
  readonly action: string;
  readonly method: string;
  readonly path: string;
  readonly repository?: string;
  readonly remote?: string;
  readonly status: number;
  readonly result: 'success' | 'denied' | 'failure';
  readonly detail?: Record<string, unknown>;
}

export class AuditLog {
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
