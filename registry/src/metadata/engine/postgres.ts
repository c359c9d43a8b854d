// PostgreSQL through a pg pool. 64-bit integers and numerics come back as JS
// numbers (sizes and epoch milliseconds stay far below 2^53).
import { readFileSync } from 'node:fs';
import { Kysely, PostgresDialect } from './kysely.js';
import pg from 'pg';
import { DEFAULTS, type PostgresOptions } from '../config.js';
import type { Engine } from './engine.js';
import type { IndexTables } from './tables.js';

const INT8 = 20;
const NUMERIC = 1700;

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8 || oid === NUMERIC) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

export function postgresUrl(options: PostgresOptions): string {
  if (options.url) return options.url;
  if (options.urlFile) return readFileSync(options.urlFile, 'utf8').trim();
  throw new Error('metadata.postgres: set url or urlFile');
}

/** Connection settings shared by the pool and the LISTEN connection. */
export function clientConfig(options: PostgresOptions): pg.ClientConfig {
  const tls = options.tls;
  return {
    connectionString: postgresUrl(options),
    ...(tls ? { ssl: { rejectUnauthorized: !tls.insecureSkipVerify, ...(tls.caFile ? { ca: readFileSync(tls.caFile, 'utf8') } : {}) } } : {}),
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
    statement_timeout: options.statementTimeoutMs ?? DEFAULTS.statementTimeoutMs,
    application_name: 'berth-registry',
    keepAlive: true,
    types,
  };
}

export function openPostgres(options: PostgresOptions): Engine {
  const pool = new pg.Pool({ ...clientConfig(options), max: options.poolSize ?? DEFAULTS.poolSize });
  // An idle connection that dies (server restart) is discarded; without a
  // listener its error would crash the process. The next query reconnects.
  pool.on('error', () => undefined);
  const db = new Kysely<IndexTables>({ dialect: new PostgresDialect({ pool }) });
  return {
    kind: 'postgres',
    db,
    transact: (fn) => db.transaction().execute(fn),
    reserved: (fn) => db.connection().execute(fn),
    close: () => db.destroy(),
  };
}
