// How the index is reached: SQLite in-process (one node) or a shared PostgreSQL
// (every replica). The registry's config schema maps onto these options.

export interface SqliteOptions {
  readonly engine: 'sqlite';
  /** Database file on local disk (WAL mode puts two files beside it), or ':memory:'. */
  readonly path: string;
}

export interface PostgresTls {
  /** CA bundle that signed the server's certificate (e.g. CloudNativePG's `<cluster>-ca` Secret, key ca.crt). */
  readonly caFile?: string;
  /** Encrypt but do not check the certificate (testing only). */
  readonly insecureSkipVerify?: boolean;
}

export interface PostgresOptions {
  readonly engine: 'postgres';
  /**
   * libpq-style URL, `postgres://user:password@host:5432/db?sslmode=verify-full`.
   * Its ssl parameters (sslmode, sslrootcert) win over `tls`.
   */
  readonly url?: string;
  /** File holding the URL (a mounted Secret key, e.g. CloudNativePG's `<cluster>-app`, key `uri`). */
  readonly urlFile?: string;
  /** TLS when the URL says nothing about it. */
  readonly tls?: PostgresTls;
  /** Connections in the pool (the LISTEN connection is extra). */
  readonly poolSize?: number;
  /** A query running longer is cancelled by the server. */
  readonly statementTimeoutMs?: number;
  /** Connecting longer fails the query (the database is then treated as unavailable). */
  readonly connectTimeoutMs?: number;
}

export type EngineOptions = SqliteOptions | PostgresOptions;

export interface IndexOptions {
  readonly engine: EngineOptions;
  /** How often buffered pull times are written. */
  readonly pullFlushIntervalMs?: number;
  /** Pull times held before an early write, whatever the interval. */
  readonly pullBufferLimit?: number;
  /**
   * How often the PostgreSQL invalidation listener proves its connection alive; a
   * listener that misses two beats reports itself down (caches must then bypass).
   */
  readonly heartbeatIntervalMs?: number;
}

export const DEFAULTS = {
  poolSize: 10,
  statementTimeoutMs: 10_000,
  connectTimeoutMs: 3_000,
  pullFlushIntervalMs: 10_000,
  pullBufferLimit: 10_000,
  heartbeatIntervalMs: 300,
} as const;
