// The supply-chain services load only when needed: at start when anything is
// configured, else on the first pull a credential's policy applies to. A pull no
// policy applies to never loads them; one a policy applies to is decided by the
// real gate, so it still fails closed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '#contract/config/load.js';
import type { RegistryConfigInput } from '#contract/config/schema.js';
import type { Grant } from './auth/access.js';
import { Code, RegistryError } from './errors.js';
import { createLogger } from './log.js';
import { assembleServices, closeServices, type Assembled } from './services.js';

const INDEX = 'application/vnd.oci.image.index.v1+json';
const BODY = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: [] }));

const opened: { assembled: Assembled; root: string }[] = [];

async function open(input: RegistryConfigInput = {}): Promise<Assembled> {
  const root = await mkdtemp(join(tmpdir(), 'berth-supply-chain-'));
  const assembled = await assembleServices(parseConfig({ ...input, storage: { filesystem: { root } } }), createLogger('silent'));
  opened.push({ assembled, root });
  return assembled;
}

afterAll(async () => {
  for (const { assembled, root } of opened) {
    await closeServices(assembled);
    await rm(root, { recursive: true, force: true });
  }
});

function grant(policies: boolean): Grant {
  return {
    subject: 'ci', can: () => true, sees: () => true,
    pullPolicies: () => ({ policies: policies ? [{ source: 'team-pull', policy: { requireSignature: { keys: ['release'], minSignatures: 1, mode: 'Enforce' } } }] : [], exempt: () => false }),
  };
}

test('with nothing configured, pulls without a policy leave them unloaded, and a credential policy loads them and is enforced', async () => {
  const { services } = await open();
  expect(services.security.loaded).toBe(false);
  const { digest } = await services.writes.manifests.put('team/app', 'v1', BODY, INDEX, [], { subject: 'ci' });
  const pulled = { repo: 'team/app', reference: 'v1', digest: digest.value, mediaType: INDEX, body: async () => BODY };

  await services.security.gate.check(pulled, undefined);
  await services.security.gate.check(pulled, grant(false));
  expect(services.security.loaded).toBe(false);

  const err = await services.security.gate.check(pulled, grant(true)).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(RegistryError);
  expect((err as RegistryError).is(Code.DENIED)).toBe(true);
  expect(services.security.loaded).toBe(true);
  // The supply-chain API answers from the same services once loaded.
  expect((await services.security.load()).scans.isEnabled).toBe(false);
});

test.each<[string, RegistryConfigInput]>([
  ['scanning on', { security: { scanning: { enabled: true } } }],
  ['a repository\'s pull policy', { repositories: [{ match: 'prod/**', security: { preventVulnerable: {} } }] }],
])('with %s, they load at start', async (_name, input) => {
  const { services } = await open(input);
  expect(services.security.loaded).toBe(true);
});
