import { parsePolicyFile } from '#contract/auth/policy-file.js';
import type { AccessPolicy } from '../../api/types.js';
import { TerminalError } from '../../runtime/errors.js';
import { pullPolicyRule } from '../pull-policy.js';
import { renderPolicyFile, type RegistryPolicyState } from './state.js';

const policy = (name: string, spec: Partial<AccessPolicy['spec']> = {}): AccessPolicy => ({
  apiVersion: 'berth.dev/v1alpha1', kind: 'AccessPolicy', metadata: { name, namespace: 'team', uid: `uid-${name}` },
  spec: { registryRef: { name: 'main' }, namespaces: { names: ['app'] }, repositories: ['prod/**'], actions: ['pull'], ...spec },
});
const state: RegistryPolicyState = {
  robots: {
    'ap/signed/app': { policy: 'signed', namespace: 'app', secrets: [] },
    'ap/broken/app': { policy: 'broken', namespace: 'app', secrets: [] },
    'ap/plain/app': { policy: 'plain', namespace: 'app', secrets: [] },
  },
  policies: {},
};

describe('AccessPolicy.spec.pullPolicy', () => {
  it('is the rule\'s pullPolicy, durations in seconds, defaults filled, accepted by the registry', () => {
    const file = renderPolicyFile(state, [
      policy('signed', { pullPolicy: { requireSignature: { keys: ['release'] }, preventVulnerable: { severity: 'Critical', maxPendingScan: '20s', pendingScan: 'Deny' } } }),
      policy('plain'),
    ], ['release']);
    expect(file.rules).toEqual([
      { name: 'accesspolicy/team/plain', robotPrefixes: ['ap/plain/'], repositories: ['prod/**'], actions: ['pull'] },
      {
        name: 'accesspolicy/team/signed', robotPrefixes: ['ap/signed/'], repositories: ['prod/**'], actions: ['pull'],
        pullPolicy: {
          requireSignature: { keys: ['release'], minSignatures: 1, mode: 'Enforce' },
          preventVulnerable: { severity: 'Critical', mode: 'Enforce', pendingScan: 'Deny', maxPendingScanSeconds: 20 },
        },
      },
    ]);
    expect(parsePolicyFile(JSON.stringify(file)).rules[1].pullPolicy?.requireSignature?.keys).toEqual(['release']);
  });

  it('a policy naming a key the Registry does not trust gets no rule at all (its credentials are refused), and is a terminal error', () => {
    const broken = policy('broken', { pullPolicy: { requireSignature: { keys: ['stolen'] } } });
    const file = renderPolicyFile(state, [broken, policy('plain')], ['release']);
    expect(file.rules!.map((r) => r.name)).toEqual(['accesspolicy/team/plain']);
    expect(() => pullPolicyRule(broken.spec.pullPolicy!, ['release'])).toThrow(TerminalError);
    expect(() => pullPolicyRule(broken.spec.pullPolicy!, ['release'])).toThrow("spec.pullPolicy.requireSignature.keys: stolen not among the Registry's spec.security.trust.keys");
  });

  it('durations and bounds the registry refuses are named', () => {
    expect(() => pullPolicyRule({ preventVulnerable: { maxPendingScan: 'soon' } }, [])).toThrow('spec.pullPolicy.preventVulnerable.maxPendingScan');
    expect(() => pullPolicyRule({ preventVulnerable: { maxPendingScan: '11m' } }, [])).toThrow('maxPendingScanSeconds');
    expect(() => pullPolicyRule({ requireSignature: { keys: [] } }, [])).toThrow('spec.pullPolicy: requireSignature.keys');
  });
});
