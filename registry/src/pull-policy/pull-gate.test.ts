// The pull gate's decisions with the verdict sources replaced: a policy that
// cannot be evaluated refuses (fail closed) unless it only audits; a
// credential's pull policy binds that credential, not a pusher; signatures and
// other referrers are never gated.
import type { PullPolicy, RepositorySecurity } from '#contract/config/security.js';
import type { Grant } from '../auth/access.js';
import { statusOf } from '../api/errors.js';
import { Code, RegistryError } from '../errors.js';
import { createLogger } from '../log.js';
import { Metrics } from '../metrics/metrics.js';
import type { RepositorySettings } from '../policy/repository-settings.js';
import type { StoredResult } from '../scanning/results.js';
import type { ScanService } from '../scanning/scan-service.js';
import { PullGate, type PulledManifest } from './pull-gate.js';
import type { SignatureVerdict, SignatureVerdicts } from './signature-verdicts.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const manifestBody = (configType: string, layerType: string) => async () => Buffer.from(JSON.stringify({
  schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: configType, digest: DIGEST, size: 2 }, layers: [{ mediaType: layerType, digest: DIGEST, size: 2 }],
}));
const RUNNABLE = manifestBody('application/vnd.oci.image.config.v1+json', 'application/vnd.oci.image.layer.v1.tar+gzip');
const COSIGN_SIGNATURE = manifestBody('application/vnd.oci.image.config.v1+json', 'application/vnd.dev.cosign.simplesigning.v1+json');
const HELM_CHART = manifestBody('application/vnd.cncf.helm.config.v1+json', 'application/vnd.cncf.helm.chart.content.v1.tar+gzip');
const IMAGE: PulledManifest = {
  repo: 'team/app', reference: 'v1', digest: DIGEST, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.oci.image.config.v1+json', body: RUNNABLE,
};
const SIGNED: RepositorySecurity['requireSignature'] = { keys: ['release'], minSignatures: 1, mode: 'Enforce' };
const VULNERABLE: RepositorySecurity['preventVulnerable'] = { severity: 'High', mode: 'Enforce', pendingScan: 'Allow', maxPendingScanSeconds: 0 };

function settings(rule?: Partial<RepositorySecurity>): RepositorySettings {
  return { securityRules: () => (rule ? [{ match: 'team/**', rule: { cveAllowlist: [], ...rule } }] : []) } as unknown as RepositorySettings;
}

const failing = (message: string) => async () => { throw new Error(message); };
const unsigned: SignatureVerdict = { signed: false, keyset: 'k', reason: 'not signed', result: { digest: DIGEST, signed: false, identities: [], evidence: [] } };

function gate(rule: Partial<RepositorySecurity> | undefined, sources: { verdict?: () => Promise<SignatureVerdict>; result?: () => Promise<StoredResult | undefined> } = {}) {
  const metrics = new Metrics({ defaultMetrics: false });
  const scans = { isEnabled: true, result: sources.result ?? (async () => undefined), request: () => 'queued', pending: () => false, waitFor: async () => true } as unknown as ScanService;
  const signatures = { verdict: sources.verdict ?? (async () => unsigned) } as unknown as SignatureVerdicts;
  return { gate: new PullGate(settings(rule), scans, signatures, metrics, createLogger('silent')), metrics };
}

function credential(policy: PullPolicy, pusher: boolean): Grant {
  return { subject: 'ci', can: () => true, sees: () => true, pullPolicies: () => ({ policies: [{ source: 'team-a-pull', policy }], exempt: () => pusher }) };
}

async function refusal(p: Promise<void>): Promise<RegistryError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(RegistryError);
  return err as RegistryError;
}

async function decisions(metrics: Metrics): Promise<string[]> {
  const m = await metrics.policyDecisions.get();
  return m.values.filter((v) => v.value > 0).map((v) => `${v.labels.policy as string}=${v.labels.result as string}`).sort();
}

test('a signature check that fails to run refuses with 403 DENIED and the reason', async () => {
  const { gate: g, metrics } = gate({ requireSignature: SIGNED }, { verdict: failing('metadata index unavailable') });
  const err = await refusal(g.check(IMAGE, undefined));
  expect(err.is(Code.DENIED)).toBe(true);
  expect(statusOf(err)).toBe(403);
  expect(err.detail).toMatchObject({ policy: 'requireSignature', reason: 'the policy could not be evaluated: metadata index unavailable' });
  expect(await decisions(metrics)).toEqual(['requireSignature=deny']);
});

test('a scan result that cannot be read refuses under preventVulnerable', async () => {
  const { gate: g } = gate({ preventVulnerable: VULNERABLE }, { result: failing('database is locked') });
  const err = await refusal(g.check(IMAGE, undefined));
  expect(err.detail).toMatchObject({ policy: 'preventVulnerable', reason: 'the policy could not be evaluated: database is locked' });
});

test('under pendingScan: Deny, only a result that says there is nothing to match lets an image manifest through', async () => {
  const strict = { preventVulnerable: { ...VULNERABLE, pendingScan: 'Deny' as const } };
  const stored = (status: StoredResult['status'], reason: string): StoredResult => ({ digest: DIGEST, key: 'sha256:db', status, reason, updatedAt: 1 });
  const notApplicable = gate(strict, { result: async () => stored('not-applicable', 'not a container image: a signature') });
  await notApplicable.gate.check(IMAGE, undefined);
  expect(await decisions(notApplicable.metrics)).toEqual(['preventVulnerable=allow']);
  const failed = await refusal(gate(strict, { result: async () => stored('failed', 'corrupt layer') }).gate.check(IMAGE, undefined));
  expect(failed.detail).toMatchObject({ policy: 'preventVulnerable', reason: 'the scan failed: corrupt layer (pendingScan: Deny)' });
  const none = await refusal(gate(strict).gate.check(IMAGE, undefined));
  expect(none.detail).toMatchObject({ policy: 'preventVulnerable', reason: 'no scan result for the current vulnerability database (pendingScan: Deny)' });
});

test('Audit lets an unevaluable policy through and counts it', async () => {
  const { gate: g, metrics } = gate({ requireSignature: { ...SIGNED, mode: 'Audit' } }, { verdict: failing('boom') });
  await g.check(IMAGE, undefined);
  expect(await decisions(metrics)).toEqual(['requireSignature=audit']);
});

test("a credential's pull policy refuses that credential, naming its rule", async () => {
  const { gate: g } = gate(undefined);
  const err = await refusal(g.check(IMAGE, credential({ requireSignature: SIGNED }, false)));
  expect(err.detail).toMatchObject({ policy: 'requireSignature', source: 'credential rule team-a-pull', reason: 'not signed' });
});

test('a credential that may push is exempt from pull policies (signing and scanning keep working)', async () => {
  const { gate: g, metrics } = gate({ requireSignature: SIGNED }, { verdict: failing('never asked') });
  await g.check(IMAGE, credential({ requireSignature: SIGNED }, true));
  expect(await decisions(metrics)).toEqual(['requireSignature=exempt']);
});

test.each([
  ['a referrer', { ...IMAGE, subject: DIGEST, body: COSIGN_SIGNATURE }],
  ["cosign's signature tag", { ...IMAGE, reference: `sha256-${'b'.repeat(64)}.sig`, body: COSIGN_SIGNATURE }],
  ['an artifact that is not an image', { ...IMAGE, artifactType: 'application/vnd.cncf.helm.config.v1+json', body: HELM_CHART }],
])('%s is not gated', async (_label, pulled) => {
  const { gate: g } = gate({ requireSignature: SIGNED }, { verdict: failing('never asked') });
  await g.check(pulled, undefined);
});

test.each([
  ['with a subject', { ...IMAGE, subject: DIGEST }],
  ["under cosign's signature tag", { ...IMAGE, reference: `sha256-${'b'.repeat(64)}.sig` }],
  ["with an SBOM's artifactType", { ...IMAGE, artifactType: 'application/spdx+json' }],
  ['whose body cannot be read', { ...IMAGE, subject: DIGEST, body: failing('store down') }],
])('a runnable image %s stays gated: runtimes ignore what made it look exempt', async (_label, pulled) => {
  const { gate: g, metrics } = gate({ requireSignature: SIGNED }, { verdict: async () => unsigned });
  const err = await refusal(g.check(pulled, undefined));
  expect(statusOf(err)).toBe(403);
  expect(await decisions(metrics)).toEqual(['requireSignature=deny']);
});

test('without policies nothing is looked up', async () => {
  const { gate: g, metrics } = gate(undefined, { verdict: failing('never asked') });
  await g.check(IMAGE, undefined);
  expect(await decisions(metrics)).toEqual([]);
});

describe('denyAll (what a policy that cannot be rendered becomes)', () => {
  const DENY = { reason: 'spec.security.requireSignature.keys: stolen not among the trusted keys' };

  test('refuses every gated pull with 403 DENIED and the reason, without looking anything up', async () => {
    const { gate: g, metrics } = gate({ denyAll: DENY, requireSignature: { ...SIGNED, mode: 'Audit' } }, { verdict: failing('never asked'), result: failing('never asked') });
    const err = await refusal(g.check(IMAGE, undefined));
    expect(statusOf(err)).toBe(403);
    expect(err.detail).toMatchObject({ policy: 'denyAll', source: 'repository team/**', reason: DENY.reason });
    expect(await decisions(metrics)).toEqual(['denyAll=deny']);
  });

  test('pushers, signatures and referrers keep the exemptions, so the repository can still be pushed to and signed', async () => {
    const { gate: g, metrics } = gate({ denyAll: DENY }, { verdict: failing('never asked') });
    await g.check(IMAGE, credential({}, true));
    await g.check({ ...IMAGE, subject: DIGEST, body: COSIGN_SIGNATURE }, undefined);
    await g.check({ ...IMAGE, reference: `sha256-${'b'.repeat(64)}.sig`, body: COSIGN_SIGNATURE }, undefined);
    expect(await decisions(metrics)).toEqual(['denyAll=exempt']);
  });
});
