// The index suite on a real PostgreSQL 15 (test/harness/postgres.ts), a fresh
// database per test.
import { startPostgres, type PostgresServer } from '../../harness/postgres.js';
import { runIndexSuite } from './index-suite.js';

let server: Promise<PostgresServer> | undefined;

// The server starts on first use; if it cannot, every test fails with its log.
runIndexSuite('postgres', async () => {
  const pg = await (server ??= startPostgres());
  const url = await pg.createDatabase();
  return { options: { engine: { engine: 'postgres', url } }, cleanup: async () => undefined };
});

afterAll(async () => {
  await (await server)?.stop();
});
