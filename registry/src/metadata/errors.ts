// Failures of the database itself (down, unreachable, overloaded, disk full), told
// apart from programming errors so that callers can answer 503 + Retry-After.

export class MetadataUnavailableError extends Error {
  override readonly name = 'MetadataUnavailableError';
  /** The database's disk is full (SQLITE_FULL, SQLSTATE 53100): answered like full storage, 507. */
  readonly diskFull: boolean;
  constructor(readonly engine: 'sqlite' | 'postgres', cause: unknown) {
    super(`metadata index (${engine}) unavailable: ${(cause as Error)?.message ?? cause}`, { cause });
    const code = (cause as { code?: unknown })?.code;
    this.diskFull = code === (engine === 'sqlite' ? 'SQLITE_FULL' : '53100');
  }
}

export class MetadataSchemaError extends Error {
  override readonly name = 'MetadataSchemaError';
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
// SQLSTATE classes and codes meaning the server cannot serve us now: 08 connection
// exception, 53 insufficient resources, 57P0x shutdown/crash, 57014 statement
// timeout, 40001/40P01 serialization failure and deadlock (retryable).
const PG_UNAVAILABLE = /^(08|53)|^57P0[1-4]$|^57014$|^40001$|^40P01$/;
const PG_MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|Query read timeout/i;
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL|NOMEM)/;

/** Whether `err` says the database cannot be used right now (rather than that a query is wrong). */
export function isUnavailable(engine: 'sqlite' | 'postgres', err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  if (engine === 'sqlite') return SQLITE_UNAVAILABLE.test(code);
  if (NETWORK_CODES.has(code) || PG_UNAVAILABLE.test(code)) return true;
  return typeof e?.message === 'string' && PG_MESSAGES.test(e.message);
}

/** A pagination cursor that this index did not hand out (or one from another listing). */
export class MetadataCursorError extends Error {
  override readonly name = 'MetadataCursorError';
}
