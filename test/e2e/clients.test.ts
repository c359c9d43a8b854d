// The real-client suite against a Berth process on the filesystem driver, no auth.
import { startRegistryProcess, type RegistryProcess } from '../harness/registry-process.js';
import { runClientSuite } from './client-suite.js';

let registry: RegistryProcess;

beforeAll(async () => {
  registry = await startRegistryProcess({ config: { log: { accessLog: false } } });
});

afterAll(async () => {
  await registry?.stop();
});

runClientSuite('filesystem, anonymous', () => ({ host: registry.host }));
