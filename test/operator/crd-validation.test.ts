// The API server itself enforces the CRD schemas: structural types, defaults and
// CEL rules with their messages. No operator runs in this file.
import { KubeApiError } from '../../operator/src/kube/errors.js';
import type { KubeClient } from '../../operator/src/kube/client.js';
import type { KubeObject } from '../../operator/src/kube/types.js';
import { sharedKubeconfig } from '../harness/control-plane/shared-plane.js';
import { clientFor, createNamespace, uniqueName } from './support/kube.js';

type Any = Record<string, any>;

let client: KubeClient;
let ns: string;

beforeAll(async () => {
  client = clientFor(sharedKubeconfig());
  ns = await createNamespace(client, 'validation');
});
afterAll(() => client?.close());

const create = (kind: string, spec: unknown, name = uniqueName(kind.toLowerCase())) =>
  client.create<KubeObject & Any>({ apiVersion: 'berth.dev/v1alpha1', kind, metadata: { name, namespace: ns }, spec });

async function rejection(p: Promise<unknown>): Promise<KubeApiError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof KubeApiError)) throw new Error(`expected the API server to reject the object, got ${String(err)}`);
  expect(err.status).toBe(422);
  return err;
}

const fs = { filesystem: {} };
const s3 = { s3: { endpoint: 'https://s3.example.test', bucket: 'images', secretRef: { name: 'creds' } } };

describe('Registry schema', () => {
  it('applies defaults', async () => {
    const reg = await create('Registry', { storage: fs });
    expect(reg.spec).toEqual({
      replicas: 1,
      image: 'ghcr.io/berth-dev/berth-registry:v0.1.0',
      imagePullPolicy: 'IfNotPresent',
      logLevel: 'info',
      resources: { requests: { cpu: '100m', memory: '128Mi' } },
      storage: { filesystem: { persistentVolumeClaim: { size: '10Gi', accessModes: ['ReadWriteOnce'] } } },
      metadata: { embedded: {} },
      service: { type: 'ClusterIP', port: 5000 },
      nodeAccess: { enabled: true },
      auth: { enabled: true, tokenTTL: '5m', signingKeyRotationPeriod: '720h' },
      gc: { enabled: true, interval: '24h', gracePeriod: '1h' },
      uploads: { purgeInterval: '1h', purgeAfter: '24h' },
    });
  });

  it.each([
    ['filesystem storage with several replicas', { replicas: 3, storage: fs }, 'storage.filesystem uses a ReadWriteOnce volume and supports only replicas: 1'],
    ['several replicas on the default embedded index', { replicas: 3, storage: s3 }, 'metadata.embedded is SQLite inside one pod and supports only replicas: 1; set metadata.postgres or metadata.managed for more replicas'],
    ['several replicas on an explicit embedded index', { replicas: 2, storage: s3, metadata: { embedded: {} } }, 'metadata.embedded is SQLite inside one pod and supports only replicas: 1'],
    ['two metadata indexes', { storage: fs, metadata: { embedded: {}, managed: {} } }, 'metadata: set exactly one of embedded, postgres and managed'],
    ['no metadata index', { storage: fs, metadata: {} }, 'metadata: set exactly one of embedded, postgres and managed'],
    ['a PostgreSQL CA and skipping verification at once', { storage: fs, metadata: { postgres: { secretRef: { name: 'db' }, tls: { caSecretRef: { name: 'ca' }, insecureSkipVerify: true } } } },
      'metadata.postgres.tls: set caSecretRef or insecureSkipVerify: true, not both'],
    ['two storage backends', { storage: { ...fs, ...s3 } }, 'storage: set exactly one of filesystem, s3 and minio'],
    ['no storage backend', { storage: {} }, 'storage: set exactly one of filesystem, s3 and minio'],
    ['an unmanaged MinIO', { storage: { minio: { managed: false } } }, 'storage.minio.managed must be true'],
    ['TLS from a Secret and self-signed at once', { storage: fs, tls: { selfSigned: true, secretRef: { name: 'x' } } }, 'tls: set exactly one of secretRef and selfSigned: true'],
    ['TLS with neither source', { storage: fs, tls: {} }, 'tls: set exactly one of secretRef and selfSigned: true'],
    ['a nodePort on a ClusterIP Service', { storage: fs, service: { nodePort: 30001 } }, 'service.nodePort requires service.type NodePort or LoadBalancer'],
    ['a key rotation period under an hour', { storage: fs, auth: { signingKeyRotationPeriod: '30m' } }, 'auth.signingKeyRotationPeriod must be at least 1h'],
    ['a token TTL over an hour', { storage: fs, auth: { tokenTTL: '2h' } }, 'auth.tokenTTL must be between 30s and 1h'],
    ['a GC interval under a minute', { storage: fs, gc: { interval: '30s' } }, 'gc.interval must be at least 1m'],
    ['purging uploads after 5 minutes', { storage: fs, uploads: { purgeAfter: '5m' } }, 'uploads.purgeAfter must be at least 10m'],
    ['federation with auth off', { storage: fs, auth: { enabled: false, federation: { cluster: {} } } }, 'auth.federation requires auth.enabled'],
    ['a CI issuer named cluster', { storage: fs, auth: { federation: { issuers: [{ name: 'cluster', issuer: 'https://ci.example', audiences: ['a'] }] } } }, 'issuers: the name cluster is reserved for auth.federation.cluster'],
  ])('rejects %s with a clear message', async (_what, spec, message) => {
    const err = await rejection(create('Registry', spec));
    expect(err.message).toContain(message);
  });

  it('accepts several replicas on a shared metadata index, with its defaults', async () => {
    const external = await create('Registry', { replicas: 3, storage: s3, metadata: { postgres: { secretRef: { name: 'cluster-app' }, tls: { caSecretRef: { name: 'cluster-ca' } } } } });
    expect(external.spec.metadata).toEqual({ postgres: { secretRef: { name: 'cluster-app', key: 'uri' }, tls: { caSecretRef: { name: 'cluster-ca', key: 'ca.crt' }, insecureSkipVerify: false } } });
    const managed = await create('Registry', { replicas: 3, storage: s3, metadata: { managed: {} } });
    // No image default in the CRD: the operator's (and the chart's) default applies.
    expect(managed.spec.metadata).toEqual({ managed: { size: '10Gi', resources: { requests: { cpu: '100m', memory: '256Mi' } } } });
    expect((await rejection(create('Registry', { storage: fs, metadata: { managed: { size: 'big' } } }))).message).toContain('spec.metadata.managed.size');
    expect((await rejection(create('Registry', { storage: fs, metadata: { postgres: {} } }))).message).toContain('spec.metadata.postgres.secretRef');
  });

  it('defaults federation settings, and refuses issuers that are not https or named twice', async () => {
    const reg = await create('Registry', { storage: fs, auth: { federation: { cluster: {}, issuers: [{ name: 'github', issuer: 'https://token.actions.githubusercontent.com', audiences: ['a'], caConfigMapRef: { name: 'ca' } }] } } });
    expect(reg.spec.auth.federation).toEqual({
      cluster: { verify: 'both', apiServer: 'https://kubernetes.default.svc' },
      issuers: [{ name: 'github', issuer: 'https://token.actions.githubusercontent.com', audiences: ['a'], type: 'oidc', caConfigMapRef: { name: 'ca', key: 'ca.crt' } }],
    });
    const issuer = { name: 'ci', issuer: 'http://ci.example', audiences: ['a'] };
    expect((await rejection(create('Registry', { storage: fs, auth: { federation: { issuers: [issuer] } } }))).message).toMatch(/issuer/);
    const twice = [{ ...issuer, issuer: 'https://a.example' }, { ...issuer, issuer: 'https://b.example' }];
    expect((await rejection(create('Registry', { storage: fs, auth: { federation: { issuers: twice } } }))).message).toMatch(/Duplicate value/);
  });

  it('rejects names that cannot name its Service and Job', async () => {
    const message = 'metadata.name must start with a letter';
    expect((await rejection(create('Registry', { storage: fs }, '1st'))).message).toContain(message);
    expect((await rejection(create('Registry', { storage: fs }, `r${'x'.repeat(40)}`))).message).toContain(message);
  });

  it('rejects values of the wrong shape through the structural schema', async () => {
    expect((await rejection(create('Registry', { storage: fs, replicas: 0 }))).message).toContain('spec.replicas');
    expect((await rejection(create('Registry', { storage: fs, service: { type: 'ExternalName' } }))).message).toContain('spec.service.type');
    expect((await rejection(create('Registry', { storage: { s3: { endpoint: 'ftp://x', bucket: 'images', secretRef: { name: 'c' } } } }))).message).toContain('spec.storage.s3.endpoint');
  });

  it('refuses to switch from filesystem to object storage on update', async () => {
    const reg = await create('Registry', { storage: fs });
    const err = await rejection(client.request('PATCH', `/apis/berth.dev/v1alpha1/namespaces/${ns}/registries/${reg.metadata.name}`, {
      body: { spec: { storage: { filesystem: null, ...s3 } } }, contentType: 'application/merge-patch+json',
    }));
    expect(err.message).toContain('switching to or from filesystem storage is not supported');
  });

  it('defaults spec.security and takes trusted keys from Secrets', async () => {
    const reg = await create('Registry', { storage: fs, security: { scanning: {}, vulnDB: { refreshInterval: '1m' }, trust: { keys: [{ name: 'release', secretRef: { name: 'cosign' } }] } } });
    expect(reg.spec.security).toEqual({
      scanning: { enabled: false, backend: 'builtin' },
      vulnDB: { refreshInterval: '1m' },
      trust: { keys: [{ name: 'release', secretRef: { name: 'cosign', key: 'cosign.pub' } }] },
    });
  });

  it.each([
    ['the harbor adapter backend without its URL', { scanning: { enabled: true, backend: 'harbor-adapter' } }, 'security.scanning: backend harbor-adapter needs harborAdapter.url'],
    ['a database refresh under 10s', { vulnDB: { refreshInterval: '5s' } }, 'refreshInterval must be at least 10s'],
    ['two trusted keys of one name', { trust: { keys: [{ name: 'a', secretRef: { name: 's' } }, { name: 'a', secretRef: { name: 't' } }] } }, 'Duplicate value'],
    ['a trusted key without its Secret', { trust: { keys: [{ name: 'a' }] } }, 'spec.security.trust.keys[0].secretRef'],
    ['a key name with a space', { trust: { keys: [{ name: 'my key', secretRef: { name: 's' } }] } }, 'spec.security.trust.keys[0].name'],
    ['an unknown backend', { scanning: { backend: 'clair' } }, 'spec.security.scanning.backend'],
  ])('rejects security with %s', async (_what, security, message) => {
    expect((await rejection(create('Registry', { storage: fs, security }))).message).toContain(message);
  });

  it('prunes unknown fields', async () => {
    const reg = await create('Registry', { storage: fs, colour: 'blue' });
    expect(reg.spec.colour).toBeUndefined();
  });
});

describe('Repository schema', () => {
  const base = { registryRef: { name: 'main' }, name: 'team-a/api' };

  it('applies defaults and accepts the full settings', async () => {
    const repo = await create('Repository', {
      ...base,
      immutability: { enabled: true, tagPatterns: ['v*'] },
      retention: { keepLastTags: 10, untaggedOlderThan: '168h' },
      quota: { size: '5Gi' },
    });
    expect(repo.spec).toMatchObject({ visibility: 'private', retention: { dryRun: true, keepLastTags: 10 } });
  });

  it('rejects invalid names and retention without a rule', async () => {
    expect((await rejection(create('Repository', { ...base, name: 'Team/API' }))).message).toContain('spec.name');
    expect((await rejection(create('Repository', { ...base, retention: { dryRun: false } }))).message).toContain('retention: set keepLastTags and/or untaggedOlderThan');
  });

  it('defaults the pull policies of spec.security', async () => {
    const repo = await create('Repository', { ...base, security: { preventVulnerable: {}, requireSignature: { keys: ['release'] }, cveAllowlist: [{ id: 'CVE-2024-1234', expires: '2027-01-31' }, { id: 'GHSA-x', expires: '2027-01-31T12:00:00Z' }] } });
    expect(repo.spec.security).toEqual({
      preventVulnerable: { severity: 'High', mode: 'Enforce', pendingScan: 'Allow' },
      requireSignature: { keys: ['release'], minSignatures: 1, mode: 'Enforce' },
      cveAllowlist: [{ id: 'CVE-2024-1234', expires: '2027-01-31' }, { id: 'GHSA-x', expires: '2027-01-31T12:00:00Z' }],
    });
  });

  it.each([
    ['a pending-scan wait over 10 minutes', { preventVulnerable: { maxPendingScan: '11m' } }, 'maxPendingScan must be at most 10m'],
    ['requireSignature without keys', { requireSignature: { keys: [] } }, 'spec.security.requireSignature.keys'],
    ['no signature required', { requireSignature: { keys: ['release'], minSignatures: 0 } }, 'spec.security.requireSignature.minSignatures'],
    ['an unknown severity', { preventVulnerable: { severity: 'Severe' } }, 'spec.security.preventVulnerable.severity'],
    ['an allowlist entry expiring "soon"', { cveAllowlist: [{ id: 'CVE-1', expires: 'soon' }] }, 'spec.security.cveAllowlist[0].expires'],
    ['an allowlist entry without an id', { cveAllowlist: [{ reason: 'x' }] }, 'spec.security.cveAllowlist[0].id'],
  ])('rejects security with %s', async (_what, security, message) => {
    expect((await rejection(create('Repository', { ...base, security }))).message).toContain(message);
  });

  it('keeps the repository name and registryRef immutable', async () => {
    const repo = await create('Repository', base);
    const path = `/apis/berth.dev/v1alpha1/namespaces/${ns}/repositories/${repo.metadata.name}`;
    const patch = (spec: unknown) => client.request('PATCH', path, { body: { spec }, contentType: 'application/merge-patch+json' });
    expect((await rejection(patch({ name: 'team-b/api' }))).message).toContain('name is immutable; create a new Repository instead');
    expect((await rejection(patch({ registryRef: { name: 'other' } }))).message).toContain('registryRef is immutable');
  });
});

describe('AccessPolicy schema', () => {
  const base = { registryRef: { name: 'main' }, namespaces: { names: ['apps'] }, repositories: ['team-a/*'], actions: ['pull'] };

  it('applies defaults', async () => {
    const policy = await create('AccessPolicy', base);
    expect(policy.spec).toMatchObject({ rotationPeriod: '24h', overlap: '1h', secretName: 'berth-pull-secret' });
    // ServiceAccount patching is opt-in.
    expect(policy.spec.serviceAccounts).toBeUndefined();
  });

  it('defaults spec.pullPolicy', async () => {
    const policy = await create('AccessPolicy', { ...base, pullPolicy: { requireSignature: { keys: ['release'] }, preventVulnerable: { severity: 'Critical', maxPendingScan: '20s' } } });
    expect(policy.spec.pullPolicy).toEqual({
      requireSignature: { keys: ['release'], minSignatures: 1, mode: 'Enforce' },
      preventVulnerable: { severity: 'Critical', mode: 'Enforce', pendingScan: 'Allow', maxPendingScan: '20s' },
    });
  });

  it('defaults credentials to pullSecret, and takes CI identities without namespaces', async () => {
    expect((await create('AccessPolicy', base)).spec.credentials).toEqual(['pullSecret']);
    const { namespaces: _n, ...noNamespaces } = base;
    const ci = await create('AccessPolicy', { ...noNamespaces, federated: [{ issuer: 'github', claims: { repository: 'acme/*' } }] });
    expect(ci.spec.federated).toEqual([{ issuer: 'github', claims: { repository: 'acme/*' } }]);
    const both = await create('AccessPolicy', { ...base, credentials: ['pullSecret', 'serviceAccountToken'], serviceAccounts: ['web'] });
    expect(both.spec.credentials).toEqual(['pullSecret', 'serviceAccountToken']);
  });

  it.each([
    ['no namespaces', { ...base, namespaces: {} }, 'namespaces: set a selector, a list of names, or both'],
    ['neither namespaces nor federated', { registryRef: { name: 'main' }, repositories: ['a'], actions: ['pull'] }, 'set namespaces, federated, or both'],
    ['ServiceAccount tokens without serviceAccounts', { ...base, credentials: ['serviceAccountToken'] }, 'credentials: serviceAccountToken needs serviceAccounts'],
    ['a federated entry with wildcards only', { ...base, federated: [{ issuer: 'github', subject: '*', claims: { ref: '?*' } }] }, 'federated: name a subject or a claim with at least one literal character'],
    ['a federated entry naming the issuer alone', { ...base, federated: [{ issuer: 'github' }] }, 'federated: name a subject or a claim with at least one literal character'],
    ['a federated entry for the cluster issuer', { ...base, federated: [{ issuer: 'cluster', subject: 'system:serviceaccount:a:b' }] }, 'federated: the cluster\'s ServiceAccounts are granted through namespaces'],
    ['delete without push', { ...base, actions: ['pull', 'delete'] }, 'actions: delete requires push'],
    ['In without values', { ...base, namespaces: { selector: { matchExpressions: [{ key: 'team', operator: 'In' }] } } }, 'matchExpressions: In and NotIn need values'],
    ['a rotation period under 10 minutes', { ...base, rotationPeriod: '5m' }, 'rotationPeriod must be at least 10m'],
    ['the same credential twice', { ...base, credentials: ['pullSecret', 'pullSecret'] }, 'Duplicate value'],
    ['a pull policy requiring no key', { ...base, pullPolicy: { requireSignature: { keys: [] } } }, 'spec.pullPolicy.requireSignature.keys'],
    ['a pull policy in an unknown mode', { ...base, pullPolicy: { preventVulnerable: { mode: 'Warn' } } }, 'spec.pullPolicy.preventVulnerable.mode'],
  ])('rejects %s with a clear message', async (_what, spec, message) => {
    expect((await rejection(create('AccessPolicy', spec))).message).toContain(message);
  });
});

describe('CRD presentation', () => {
  it('has short names, categories, a status subresource and printer columns', async () => {
    const crd = await client.get<KubeObject & Any>('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'registries.berth.dev');
    expect(crd.spec.names).toMatchObject({ shortNames: ['reg'], categories: ['berth'] });
    const v = crd.spec.versions[0];
    expect(v.subresources).toEqual({ status: {} });
    expect(v.additionalPrinterColumns.map((c: Any) => c.name)).toEqual(['Ready', 'Reason', 'Replicas', 'Available', 'Endpoint', 'Age']);
    const table = await client.request<Any>('GET', `/apis/berth.dev/v1alpha1/namespaces/${ns}/registries`, { query: { limit: 1 } });
    expect(table.kind).toBe('RegistryList');
  });
});
