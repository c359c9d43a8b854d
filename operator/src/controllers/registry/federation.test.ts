import yaml from 'js-yaml';
import { parseConfigYaml } from '#contract/config/load.js';
import type { KubeObject } from '../../kube/types.js';
import { desired, type DesiredInputs } from './desired.js';
import { clusterAudience, credentialProviderConfig, needsTokenReview } from './federation.js';
import { registry } from './fixtures.test-support.js';
import { tokenReviewBinding } from './token-review.js';

type Any = Record<string, any>;
const key = { kid: 'kid-one', createdAt: '2026-01-01T00:00:00.000Z', privateKeyPem: 'pem' };
const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const inputs: DesiredInputs = { signingKeys: [key], clusterIssuerUrl: ISSUER };
const auth = { enabled: true, tokenTTL: '5m', signingKeyRotationPeriod: '720h' };
const find = (objs: KubeObject[], kind: string, name?: string): (KubeObject & Any) | undefined => objs.find((o) => o.kind === kind && (!name || o.metadata.name === name));
const configOf = (objs: KubeObject[]) => parseConfigYaml(find(objs, 'ConfigMap', 'main-config')!.data['config.yaml']);

describe('spec.auth.federation.cluster', () => {
  const reg = registry({ auth: { ...auth, federation: { cluster: { verify: 'both', apiServer: 'https://kubernetes.default.svc' } } } });
  const state = desired(reg, inputs);

  it('renders the cluster issuer the registry accepts: the discovered iss, the audience, the pod token and CA, the API server for JWKS and TokenReview', () => {
    expect(configOf(state.objects).auth.federation.issuers).toEqual([expect.objectContaining({
      name: 'cluster', type: 'kubernetes', issuer: ISSUER, audiences: ['main.team.svc'], verify: 'both',
      caFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt', tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      apiServer: 'https://kubernetes.default.svc', jwksURI: 'https://kubernetes.default.svc/openid/v1/jwks',
    })]);
  });

  it('runs the pods as their own ServiceAccount with its token mounted', () => {
    expect(find(state.objects, 'ServiceAccount', 'main')?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Registry', uid: 'uid-1234', controller: true });
    const pod = find(state.objects, 'Deployment')!.spec.template.spec;
    expect(pod).toMatchObject({ serviceAccountName: 'main', automountServiceAccountToken: true });
  });

  it('renders the kubelet CredentialProviderConfig for the registry\'s hosts and audience', () => {
    const cm = find(state.objects, 'ConfigMap', 'main-credential-provider')!;
    expect(yaml.load(cm.data['credential-provider-config.yaml'])).toEqual({
      apiVersion: 'kubelet.config.k8s.io/v1',
      kind: 'CredentialProviderConfig',
      providers: [{
        name: 'berth-credential-provider',
        apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
        matchImages: ['main.team.svc:5000', 'main.team.svc.cluster.local:5000', 'main.team:5000'],
        defaultCacheDuration: '10m',
        tokenAttributes: { serviceAccountTokenAudience: 'main.team.svc', cacheType: 'Token', requireServiceAccount: true },
      }],
    });
  });

  it('a chosen audience, extra hosts and verify jwks: no API server for TokenReview, no binding needed', () => {
    const r = registry({ auth: { ...auth, federation: { cluster: { audience: 'registry.example.com', verify: 'jwks', additionalHosts: ['registry.example.com'] } } } });
    const objs = desired(r, inputs).objects;
    const issuer = configOf(objs).auth.federation.issuers[0];
    expect(issuer).toMatchObject({ audiences: ['registry.example.com'], verify: 'jwks', jwksURI: 'https://kubernetes.default.svc/openid/v1/jwks' });
    expect(issuer.apiServer).toBeUndefined();
    expect(credentialProviderConfig(r).providers).toEqual([expect.objectContaining({ matchImages: expect.arrayContaining(['registry.example.com']) })]);
    expect(clusterAudience(r)).toBe('registry.example.com');
    expect(needsTokenReview(r)).toBe(false);
    expect(needsTokenReview(reg)).toBe(true);
  });

  it('binds the registry\'s ServiceAccount to system:auth-delegator for TokenReview', () => {
    expect(tokenReviewBinding(reg)).toMatchObject({
      kind: 'ClusterRoleBinding',
      metadata: { name: 'berth:team:main:token-review', annotations: { 'berth.dev/registry': 'team/main' } },
      roleRef: { kind: 'ClusterRole', name: 'system:auth-delegator' },
      subjects: [{ kind: 'ServiceAccount', name: 'main', namespace: 'team' }],
    });
  });
});

describe('without federation', () => {
  it('renders no issuers, no ServiceAccount and no kubelet configuration, and mounts no token (the config is what it was)', () => {
    const objs = desired(registry(), { signingKeys: [key] }).objects;
    expect(configOf(objs).auth.federation.issuers).toEqual([]);
    expect(find(objs, 'ConfigMap', 'main-config')!.data['config.yaml']).not.toContain('federation');
    expect(find(objs, 'ServiceAccount')).toBeUndefined();
    expect(find(objs, 'ConfigMap', 'main-credential-provider')).toBeUndefined();
    const pod = find(objs, 'Deployment')!.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBeUndefined();
  });

  it('ignores federation when auth is disabled', () => {
    const r = registry({ auth: { ...auth, enabled: false, federation: { cluster: {} } } });
    const objs = desired(r, { signingKeys: [] }).objects;
    expect(find(objs, 'ServiceAccount')).toBeUndefined();
    expect(needsTokenReview(r)).toBe(false);
  });
});

describe('CI issuers', () => {
  const reg = registry({
    auth: {
      ...auth,
      federation: {
        issuers: [
          { name: 'github', issuer: 'https://token.actions.githubusercontent.com', audiences: ['https://registry.example.com'], requiredClaims: ['repository_id'] },
          { name: 'gitlab', issuer: 'https://gitlab.example.com', audiences: ['berth'], type: 'oidc', subjectClaim: 'project_path', jwksURI: 'https://gitlab.example.com/oauth/discovery/keys', caConfigMapRef: { name: 'gitlab-ca' } },
        ],
      },
    },
  });
  const objs = desired(reg, { signingKeys: [key] }).objects;

  it('map one to one onto the registry\'s issuers, with no cluster issuer', () => {
    expect(configOf(objs).auth.federation.issuers).toEqual([
      expect.objectContaining({ name: 'github', type: 'oidc', verify: 'jwks', issuer: 'https://token.actions.githubusercontent.com', audiences: ['https://registry.example.com'], requiredClaims: ['repository_id'] }),
      expect.objectContaining({ name: 'gitlab', subjectClaim: 'project_path', jwksURI: 'https://gitlab.example.com/oauth/discovery/keys', caFile: '/etc/berth/federation/gitlab/ca.crt' }),
    ]);
    expect(find(objs, 'ServiceAccount')).toBeUndefined();
  });

  it('mount a CA bundle from a ConfigMap where the config reads it', () => {
    const pod = find(objs, 'Deployment')!.spec.template.spec;
    const volume = pod.volumes.find((v: Any) => v.configMap?.name === 'gitlab-ca');
    expect(volume.configMap.items).toEqual([{ key: 'ca.crt', path: 'ca.crt' }]);
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: volume.name, mountPath: '/etc/berth/federation/gitlab', readOnly: true });
  });
});
