// The official OCI conformance program against a real Berth process on the
// filesystem driver, with pull, push, discovery and management all enabled.
import { expectConformancePass } from '../harness/conformance.js';
import { startRegistryProcess, type RegistryProcess } from '../harness/registry-process.js';

describe('OCI distribution-spec conformance (filesystem storage)', () => {
  let registry: RegistryProcess;

  beforeAll(async () => {
    registry = await startRegistryProcess({ config: { log: { accessLog: false } } });
  });

  afterAll(async () => {
    await registry?.stop();
  });

  test.each(['1.1', 'dev'])('OCI_VERSION=%s passes with no failures', async (version) => {
    await expectConformancePass('on filesystem', { registry: registry.host, version });
  });
});
