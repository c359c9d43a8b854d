// The official OCI conformance program against a real Berth process on the
// filesystem driver, with pull, push, discovery and management all enabled.
import { runConformance } from '../harness/conformance.js';
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
    const result = await runConformance({ registry: registry.host, version });
    expect(result.failed).toEqual([]);
    expect(result.tests).toBeGreaterThan(800);
    expect(result.failures).toBe(0);
    expect(result.errors).toBe(0);
    process.stdout.write(`conformance ${version}: ${result.tests} tests, ${result.failures} failures, ${result.errors} errors, ${result.skipped} skipped/disabled\n`);
  });
});
