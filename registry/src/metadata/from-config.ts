// The registry config's `metadata` block as the index's options.
import type { RegistryConfig } from '#contract/config/schema.js';
import type { IndexOptions } from './config.js';

/** `defaultSqlitePath` is used when `metadata.sqlite.path` is unset (it depends on the storage config). */
export function indexOptions(metadata: RegistryConfig['metadata'], defaultSqlitePath: string | undefined): IndexOptions {
  if (metadata.engine === 'sqlite') {
    const path = metadata.sqlite.path ?? defaultSqlitePath;
    if (!path) throw new Error('metadata.sqlite.path: required with S3 storage');
    return { engine: { engine: 'sqlite', path } };
  }
  const pg = metadata.postgres;
  if (!pg) throw new Error('metadata.postgres: required with engine postgres');
  return {
    engine: {
      engine: 'postgres',
      ...(pg.url ? { url: pg.url } : {}),
      ...(pg.urlFile ? { urlFile: pg.urlFile } : {}),
      ...(pg.tls.caFile || pg.tls.insecureSkipVerify ? { tls: { caFile: pg.tls.caFile, insecureSkipVerify: pg.tls.insecureSkipVerify } } : {}),
      poolSize: pg.poolSize,
      statementTimeoutMs: pg.statementTimeoutSeconds * 1000,
      connectTimeoutMs: pg.connectTimeoutSeconds * 1000,
    },
  };
}
