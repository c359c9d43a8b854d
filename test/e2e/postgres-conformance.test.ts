// The official OCI conformance program and the real-client suite against a Berth
// process whose metadata index is PostgreSQL (the other suites run on the embedded
// SQLite index): every listing, referrer query and status answer comes from the
// shared database.
import { expectConformancePass } from '../harness/conformance.js';
import { startPostgres, type PostgresServer } from '../harness/postgres.js';
import { startRegistryProcess, type RegistryProcess } from '../harness/registry-process.js';
import { runClientSuite } from './client-suite.js';

let pg: PostgresServer;
let registry: RegistryProcess;

beforeAll(async () => {
  pg = await startPostgres();
  const url = await pg.createDatabase();
  registry = await startRegistryProcess({ config: { log: { accessLog: false }, metadata: { engine: 'postgres', postgres: { url } } } });
});

afterAll(async () => {
  await registry?.stop();
  await pg?.stop();
});

describe('OCI distribution-spec conformance (filesystem storage, PostgreSQL index)', () => {
  test.each(['1.1', 'dev'])('OCI_VERSION=%s passes with no failures', async (version) => {
    await expectConformancePass('on filesystem with PostgreSQL', { registry: registry.host, version });
  });
});

runClientSuite('filesystem, PostgreSQL index, anonymous', () => ({ host: registry.host }));
