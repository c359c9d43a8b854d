// Token-signing key rotation on a real cluster. The rotation period is at least
// an hour (CEL), so the test ages the current key by rewriting its recorded
// creation time; the edit of an owned Secret re-triggers the reconciler.
import type { Registry } from '../../operator/src/api/types.js';
import type { KubeClient } from '../../operator/src/kube/client.js';
import type { KubeObject } from '../../operator/src/kube/types.js';
import { waitFor } from './support/kube.js';
import { withOperator } from './support/operator.js';
import { createRegistry, eventReasons, REGISTRY_API, waitForStatus } from './support/registry.js';

type Secret = KubeObject & { data: Record<string, string> };

const fx = withOperator('rotation', { identity: 'rotation-op' });
let client: KubeClient;
let ns: string;
const name = 'keys';
beforeAll(() => ({ client, ns } = fx));

const secret = () => client.get<Secret>('v1', 'Secret', `${name}-signing-keys`, ns);
const configYaml = async () => (await client.get<KubeObject & { data: Record<string, string> }>('v1', 'ConfigMap', `${name}-config`, ns)).data['config.yaml'];

/**
 * Makes the newest key `hours` old by shifting every recorded creation time back.
 * Idempotent (a key already that old is left alone), so it can be re-applied when
 * a reconcile that read the Secret just before the edit writes the old times back.
 */
async function ageKeys(hours: number, onlyIfNewest?: string): Promise<void> {
  const s = await secret();
  const index = JSON.parse(s.metadata.annotations!['berth.dev/signing-keys']) as Array<{ kid: string; createdAt: string }>;
  const newest = index.reduce((a, b) => (Date.parse(b.createdAt) > Date.parse(a.createdAt) ? b : a));
  if (onlyIfNewest && newest.kid !== onlyIfNewest) return; // already rotated; the status will follow
  const shiftMs = Date.parse(newest.createdAt) - (Date.now() - hours * 3600_000);
  if (shiftMs <= 0) return;
  const aged = index.map((k) => ({ ...k, createdAt: new Date(Date.parse(k.createdAt) - shiftMs).toISOString() }));
  await client.request('PATCH', `/api/v1/namespaces/${ns}/secrets/${name}-signing-keys`, {
    body: { metadata: { annotations: { 'berth.dev/signing-keys': JSON.stringify(aged) } } },
    contentType: 'application/merge-patch+json',
    query: { fieldManager: 'clock-skipper' },
  });
}

/** Ages the keys past the period until the operator reports a signing key other than `current`. */
async function rotateFrom(current: string, what: string): Promise<Registry> {
  let reg: Registry | undefined;
  await waitFor(what, async () => {
    await ageKeys(25, current);
    reg = await client.get<Registry>(REGISTRY_API, 'Registry', name, ns);
    return !!reg.status?.signingKeyID && reg.status.signingKeyID !== current;
  }, 60_000, 2000);
  return reg!;
}

describe('token-signing key rotation', () => {
  let first: string;
  let second: string;

  it('rotates when the period is over, keeping the old key for verification', async () => {
    await createRegistry(client, ns, name, { storage: { filesystem: {} }, auth: { signingKeyRotationPeriod: '24h' } });
    const reg = await waitForStatus(client, ns, name, 'first key', (r) => !!r.status?.signingKeyID);
    first = reg.status!.signingKeyID!;
    const hashBefore = reg.status!.configHash;

    const rotated = await rotateFrom(first, 'a new signing key');
    second = rotated.status!.signingKeyID!;
    expect(rotated.status!.configHash).not.toBe(hashBefore); // the pods roll onto the new key
    expect(Object.keys((await secret()).data).sort()).toEqual([`${first}.pem`, `${second}.pem`].sort());
    const cfg = await configYaml();
    // Newest first: the new key signs, the old one still verifies.
    expect(cfg.indexOf(`${second}.pem`)).toBeLessThan(cfg.indexOf(`${first}.pem`));
    await waitFor('SigningKeyRotated event', async () => (await eventReasons(client, ns, name)).includes('SigningKeyRotated'));
  });

  it('does not rotate again before the period is over', async () => {
    await ageKeys(1);
    await new Promise((r) => setTimeout(r, 1500));
    const reg = await client.get<Registry>(REGISTRY_API, 'Registry', name, ns);
    expect(reg.status!.signingKeyID).toBe(second);
  });

  it('drops the oldest key on the next rotation', async () => {
    const reg = await rotateFrom(second, 'a third signing key');
    const third = reg.status!.signingKeyID!;
    expect(Object.keys((await secret()).data).sort()).toEqual([`${second}.pem`, `${third}.pem`].sort());
    expect(await configYaml()).not.toContain(first);
  });
});
