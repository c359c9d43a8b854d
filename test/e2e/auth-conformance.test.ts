// The OCI conformance program with auth on: the program signs in as a robot whose
// policy grants pull, push and delete on conformance/** (not the admin), follows
// the Bearer challenge to the token endpoint, and must pass with 0 failures.
import { expectConformancePass } from '../harness/conformance.js';
import { startRegistryProcess, type RegistryProcess } from '../harness/registry-process.js';
import { authWorkspace, robot } from '../registry/auth/fixtures.js';

describe('OCI distribution-spec conformance with auth enabled', () => {
  let registry: RegistryProcess;
  const creds = { username: 'conformance-bot', password: 'conformance-secret' };

  beforeAll(async () => {
    const ws = await authWorkspace();
    await ws.writePolicy({
      robots: [await robot(creds.username, { secret: creds.password })],
      rules: [{ subjects: [creds.username], repositories: ['conformance/**'], actions: ['pull', 'push', 'delete'] }],
    });
    registry = await startRegistryProcess({ config: ws.config() });
  });

  afterAll(async () => {
    await registry?.stop();
  });

  test('without credentials the program is refused (auth is really on)', async () => {
    const res = await fetch(`${registry.url}/v2/conformance/repo1/tags/list`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
  });

  test.each(['1.1', 'dev'])('OCI_VERSION=%s passes with no failures (OCI_USERNAME/OCI_PASSWORD)', async (version) => {
    await expectConformancePass('with auth', { registry: registry.host, version, ...creds });
    const log = await registry.log();
    expect(log).toContain('"msg":"token issued","subject":"conformance-bot"');
    expect(log).not.toContain(creds.password);
  });
});
