import { configSchema } from '#contract/config/schema.js';
import { indexOptions } from './from-config.js';

describe('indexOptions', () => {
  test('SQLite by default, at the path the caller derives from storage unless set', () => {
    expect(indexOptions(configSchema.parse({}).metadata, '/data/_metadata/index.db'))
      .toEqual({ engine: { engine: 'sqlite', path: '/data/_metadata/index.db' } });
    expect(indexOptions(configSchema.parse({ metadata: { sqlite: { path: '/var/index.db' } } }).metadata, 'x'))
      .toEqual({ engine: { engine: 'sqlite', path: '/var/index.db' } });
  });

  test('PostgreSQL with its URL file, TLS and timeouts in milliseconds', () => {
    const metadata = configSchema.parse({
      metadata: { engine: 'postgres', postgres: { urlFile: '/etc/db/uri', tls: { caFile: '/etc/db-ca/ca.crt' }, statementTimeoutSeconds: 5 } },
    }).metadata;
    expect(indexOptions(metadata, 'unused')).toEqual({
      engine: {
        engine: 'postgres', urlFile: '/etc/db/uri', tls: { caFile: '/etc/db-ca/ca.crt', insecureSkipVerify: false },
        poolSize: 10, statementTimeoutMs: 5_000, connectTimeoutMs: 3_000,
      },
    });
  });
});
