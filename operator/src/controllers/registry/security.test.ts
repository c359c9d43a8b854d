import { parseConfigYaml } from '#contract/config/load.js';
import type { KubeObject } from '../../kube/types.js';
import type { RegistrySecuritySpec } from '../../api/types.js';
import { TerminalError } from '../../runtime/errors.js';
import type { Repository } from '../../api/types.js';
import { repositoriesBlock } from '../repository/settings.js';
import { desired, type DesiredInputs } from './desired.js';
import { registry } from './fixtures.test-support.js';
import { trustKeyNames } from './security.js';

const inputs: DesiredInputs = { signingKeys: [] };
type Any = Record<string, any>;
const deployment = (objs: KubeObject[]) => (objs.find((o) => o.kind === 'Deployment') as KubeObject & Any).spec.template.spec;
const security: RegistrySecuritySpec = {
  scanning: { enabled: true },
  vulnDB: { tag: '2026-12-06', refreshInterval: '2m', maxAge: '48h', signedBy: ['db'] },
  trust: { keys: [{ name: 'release', secretRef: { name: 'cosign' } }, { name: 'db', secretRef: { name: 'vulndb-keys', key: 'db.pub' } }] },
};

function repo(name: string, spec: Partial<Repository['spec']>): Repository {
  return { apiVersion: 'berth.dev/v1alpha1', kind: 'Repository', metadata: { name: name.replace(/\//g, '-'), namespace: 'team' }, spec: { registryRef: { name: 'main' }, name, ...spec } };
}

describe('Registry.spec.security', () => {
  it('renders scanning, the database and the trusted keys as files mounted from their Secrets', () => {
    const state = desired(registry({ auth: { enabled: false }, security }), inputs);
    const config = parseConfigYaml(state.configYaml);
    expect(config.security.scanning).toMatchObject({ enabled: true, backend: 'builtin' });
    expect(config.security.vulnDB).toMatchObject({ repository: 'berth-system/vulndb', tag: '2026-12-06', refreshIntervalSeconds: 120, maxAgeSeconds: 172800, signedBy: ['db'] });
    expect(config.security.trust.keys).toEqual([
      { name: 'release', keyFile: '/etc/berth/security/trust-0/key.pem' },
      { name: 'db', keyFile: '/etc/berth/security/trust-1/key.pem' },
    ]);
    const pod = deployment(state.objects);
    const volumes = (pod.volumes as Any[]).filter((v) => String(v.name).startsWith('trust-key-'));
    expect(volumes).toEqual([
      { name: 'trust-key-0', secret: { secretName: 'cosign', items: [{ key: 'cosign.pub', path: 'key.pem' }], defaultMode: 0o440 } },
      { name: 'trust-key-1', secret: { secretName: 'vulndb-keys', items: [{ key: 'db.pub', path: 'key.pem' }], defaultMode: 0o440 } },
    ]);
    // Folders, never subPath: a rotated key reaches the running pod.
    expect((pod.containers[0].volumeMounts as Any[]).filter((m) => String(m.name).startsWith('trust-key-')))
      .toEqual([
        { name: 'trust-key-0', mountPath: '/etc/berth/security/trust-0', readOnly: true },
        { name: 'trust-key-1', mountPath: '/etc/berth/security/trust-1', readOnly: true },
      ]);
    expect(trustKeyNames(registry({ security }))).toEqual(['release', 'db']);
  });

  it('without spec.security the config and its hash are as before', () => {
    const plain = desired(registry({ auth: { enabled: false } }), inputs);
    expect(plain.configYaml).not.toContain('security:');
    expect(desired(registry({ auth: { enabled: false }, security: {} }), inputs).configHash).not.toBe(plain.configHash);
  });

  it('the harbor adapter gets its authorization from a Secret', () => {
    const state = desired(registry({ auth: { enabled: false }, security: { scanning: { enabled: true, backend: 'harbor-adapter', harborAdapter: { url: 'http://trivy:8080', authorizationSecretRef: { name: 'trivy' } } } } }), inputs);
    expect(parseConfigYaml(state.configYaml).security.scanning.harborAdapter).toMatchObject({ url: 'http://trivy:8080', authorizationFile: '/etc/berth/security/harbor-adapter/authorization' });
    expect((deployment(state.objects).volumes as Any[]).find((v) => v.name === 'harbor-adapter')!.secret).toMatchObject({ secretName: 'trivy', items: [{ key: 'authorization', path: 'authorization' }] });
  });

  it('what the registry would refuse is a terminal error naming the field', () => {
    const bad = (s: RegistrySecuritySpec) => () => desired(registry({ auth: { enabled: false }, security: s }), inputs);
    expect(bad({ vulnDB: { refreshInterval: '5 minutes' } })).toThrow(TerminalError);
    expect(bad({ vulnDB: { refreshInterval: '5 minutes' } })).toThrow('spec.security.vulnDB.refreshInterval');
    expect(bad({ vulnDB: { signedBy: ['nobody'] } })).toThrow('no trust key named nobody');
    expect(bad({ scanning: { backend: 'harbor-adapter' } })).toThrow('harborAdapter');
  });

  it('Repository security reaches the repositories block; one naming an untrusted key becomes a refusal of every pull', () => {
    const keys = trustKeyNames(registry({ security }));
    const { entries, invalid } = repositoriesBlock('main', [
      repo('prod/app', { security: { requireSignature: { keys: ['release'] }, preventVulnerable: { severity: 'Critical', maxPendingScan: '1m' }, cveAllowlist: [{ id: 'CVE-2099-0001', expires: '2099-01-01' }] } }),
      repo('prod/other', { security: { requireSignature: { keys: ['stolen'] } } }),
    ], keys);
    expect(entries).toEqual([expect.objectContaining({
      match: 'prod/app',
      security: {
        requireSignature: { keys: ['release'], minSignatures: 1, mode: 'Enforce' },
        preventVulnerable: { severity: 'Critical', mode: 'Enforce', pendingScan: 'Allow', maxPendingScanSeconds: 60 },
        cveAllowlist: [{ id: 'CVE-2099-0001', expires: '2099-01-01' }],
      },
    }), { match: 'prod/other', security: { denyAll: { reason: expect.stringContaining('stolen not among') } } }]);
    expect(invalid.map((i) => i.reason)).toEqual([
      "spec.security.requireSignature.keys: stolen not among the Registry's spec.security.trust.keys; every pull of its images is refused until it is fixed (pushes, signatures and SBOMs are not)",
    ]);
    // The registry accepts the rendered config, the refusal included.
    const state = desired(registry({ auth: { enabled: false }, security }), { ...inputs, repositories: entries });
    const rendered = parseConfigYaml(state.configYaml).repositories;
    expect(rendered[0].security?.requireSignature?.keys).toEqual(['release']);
    expect(rendered[1].security?.denyAll?.reason).toContain('stolen not among');
  });
});
