// Holds api/types.ts to crds/*.yaml, both ways. Each kind has a sample whose type,
// Complete<Spec> and Complete<Status>, makes every optional field required, so a
// field added to a TypeScript type fails the type check until the sample sets it;
// the sample must then conform to the CRD's schema (a field the CRD lacks is
// reported), and must set every property the schema has (a field added to the
// CRD alone is reported).
import { API_VERSION, type AccessPolicySpec, type AccessPolicyStatus, type RegistrySpec, type RegistryStatus, type RepositorySpec, type RepositoryStatus } from './types.js';
import type { Condition } from './conditions.js';
import { crdSchema, uncovered, violations, type Schema } from './crd-schema.test-support.js';

/** T with every optional field, at every depth, required. */
type Complete<T> = T extends Array<infer U> ? Array<Complete<U>> : T extends object ? { [K in keyof T]-?: Complete<T[K]> } : T;

const condition: Complete<Condition> = {
  type: 'Ready', status: 'True', reason: 'Available', message: 'ready', observedGeneration: 3, lastTransitionTime: '2026-01-01T00:00:00Z',
};
const resources = { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: 2, memory: '1Gi' } };

const registrySpec: Complete<RegistrySpec> = {
  replicas: 2,
  image: 'ghcr.io/berth-dev/berth-registry:v0.1.0',
  imagePullPolicy: 'IfNotPresent',
  logLevel: 'debug',
  resources,
  // The CEL rule "exactly one storage" is the API server's; the schema check needs all three set.
  storage: {
    filesystem: { persistentVolumeClaim: { size: '10Gi', storageClassName: 'fast', accessModes: ['ReadWriteOnce'] } },
    s3: {
      endpoint: 'https://s3.example.test', bucket: 'images', region: 'eu-west-1', prefix: 'berth/', pathStyle: false,
      secretRef: { name: 's3', accessKeyKey: 'id', secretKeyKey: 'key' },
      redirect: { enabled: true, externalEndpoint: 'https://cdn.example.test' },
    },
    minio: {
      managed: true, bucket: 'berth', image: 'quay.io/minio/minio:latest', clientImage: 'quay.io/minio/mc:latest',
      size: '20Gi', storageClassName: 'fast', resources,
    },
  },
  // Likewise "exactly one metadata index".
  metadata: {
    embedded: {},
    postgres: { secretRef: { name: 'db-app', key: 'uri' }, tls: { caSecretRef: { name: 'db-ca', key: 'ca.crt' }, insecureSkipVerify: false } },
    managed: { image: 'postgres:15', size: '10Gi', storageClassName: 'fast', resources },
  },
  service: { type: 'NodePort', port: 5000, nodePort: 30500 },
  tls: { secretRef: { name: 'tls' }, selfSigned: false },
  nodeAccess: { enabled: true },
  auth: {
    enabled: true, tokenTTL: '5m', signingKeyRotationPeriod: '720h',
    federation: {
      cluster: { audience: 'main.registry.svc', verify: 'both', issuer: 'https://kubernetes.default.svc.cluster.local', apiServer: 'https://kubernetes.default.svc', additionalHosts: ['registry.example.test'] },
      issuers: [{
        name: 'github', issuer: 'https://token.actions.githubusercontent.com', audiences: ['https://registry.example.test'], type: 'oidc',
        jwksURI: 'https://token.actions.githubusercontent.com/.well-known/jwks', subjectClaim: 'sub', requiredClaims: ['repository_id'],
        caConfigMapRef: { name: 'github-ca', key: 'ca.crt' },
      }],
    },
  },
  gc: { enabled: true, interval: '24h', gracePeriod: '1h' },
  uploads: { purgeInterval: '1h', purgeAfter: '24h' },
  ui: { enabled: false },
  mirror: {
    upstreams: [{
      host: 'docker.io', aliases: ['registry-1.docker.io'], url: 'https://registry-1.docker.io',
      credentialsSecretRef: { name: 'hub', key: '.dockerconfigjson' }, caSecretRef: { name: 'hub-ca', key: 'ca.crt' },
      tagTTL: '5m', staleIfError: '168h', include: ['library/**'], exclude: ['library/private'], maxSize: '50Gi',
      maxConcurrentFetches: 8, maxBandwidth: '50Mi', anonymousPull: true,
    }],
    sync: [{
      name: 'alpine', upstream: 'docker.io', repositories: ['library/alpine'], tags: ['3.*'], excludeTags: ['*-rc*'], semver: '>=3.19 <4',
      newest: 3, platforms: ['linux/arm64'], interval: '1h', concurrency: 4, referrers: true,
    }],
    containerd: {
      endpoint: 'https://10.96.0.50:5000', caFile: '/etc/containerd/certs.d/berth-ca.crt', skipVerify: false, fallbackToUpstream: true,
      installer: { enabled: true, certsDir: '/etc/containerd/certs.d' },
    },
  },
  replication: {
    rules: [{
      name: 'promote', repositories: ['team-a/**'], tags: ['v*'], excludeTags: ['*-dev'], semver: '^1', newest: 5,
      url: 'https://registry.prod.example.test', prefix: 'promoted', credentialsSecretRef: { name: 'prod', key: '.dockerconfigjson' },
      caSecretRef: { name: 'prod-ca', key: 'ca.crt' }, onPush: true, interval: '1h', concurrency: 4, referrers: true,
    }],
  },
  security: {
    scanning: { enabled: true, backend: 'harbor-adapter', concurrency: 2, harborAdapter: { url: 'https://trivy-adapter.example.test', authorizationSecretRef: { name: 'trivy', key: 'authorization' } } },
    vulnDB: { repository: 'berth-system/vulndb', tag: '2026-12-06', refreshInterval: '5m', maxAge: '168h', signedBy: ['release'] },
    trust: { keys: [{ name: 'release', secretRef: { name: 'cosign', key: 'cosign.pub' } }] },
  },
};
const registryStatus: Complete<RegistryStatus> = {
  observedGeneration: 3, endpoint: 'main.registry.svc:5000', readyReplicas: 2, configHash: 'abc123', signingKeyID: 'k1', conditions: [condition],
};

const repositorySpec: Complete<RepositorySpec> = {
  registryRef: { name: 'main' },
  name: 'team-a/api',
  visibility: 'public',
  immutability: { enabled: true, tagPatterns: ['v*'] },
  retention: { keepLastTags: 10, keepTagPatterns: ['release-*'], untaggedOlderThan: '168h', dryRun: false },
  quota: { size: '10Gi' },
  deletionPolicy: 'Delete',
  security: {
    preventVulnerable: { severity: 'High', mode: 'Enforce', pendingScan: 'Deny', maxPendingScan: '30s' },
    requireSignature: { keys: ['release'], minSignatures: 1, mode: 'Audit' },
    cveAllowlist: [{ id: 'CVE-2024-1234', expires: '2027-01-31', reason: 'not reachable' }],
  },
};
const repositoryStatus: Complete<RepositoryStatus> = {
  observedGeneration: 3, tagCount: 4, manifestCount: 9, sizeBytes: 1024, quotaUsedBytes: 2048, quotaLimitBytes: 10_737_418_240,
  lastPushTime: '2026-01-01T00:00:00Z', conditions: [condition],
  security: {
    critical: 1, high: 2, tags: 4, scannedTags: 4, unsignedTags: 1, vulnDBDigest: 'sha256:abc', lastMatchTime: '2026-01-01T00:00:00Z',
    topVulnerabilities: [{ id: 'CVE-2024-1234', severity: 'Critical', package: 'busybox@1.36.1-r28', tags: ['v1'] }], announced: ['0123456789abcdef'],
  },
};

const accessPolicySpec: Complete<AccessPolicySpec> = {
  registryRef: { name: 'main' },
  namespaces: { names: ['team-a'], selector: { matchLabels: { team: 'a' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] } },
  credentials: ['pullSecret', 'serviceAccountToken'],
  serviceAccounts: ['default'],
  federated: [{ issuer: 'github', subject: 'repo:acme/team-a:*', claims: { ref: 'refs/heads/main' } }],
  repositories: ['team-a/**'],
  actions: ['pull', 'push'],
  rotationPeriod: '24h',
  overlap: '1h',
  secretName: 'berth-pull-secret',
  additionalHosts: ['registry.example.test:443'],
  pullPolicy: {
    preventVulnerable: { severity: 'High', mode: 'Enforce', pendingScan: 'Deny', maxPendingScan: '30s' },
    requireSignature: { keys: ['release'], minSignatures: 1, mode: 'Audit' },
  },
};
const accessPolicyStatus: Complete<AccessPolicyStatus> = {
  observedGeneration: 3, namespaceCount: 2, syncedNamespaceCount: 1, serviceAccountCount: 4,
  failedNamespaces: [{ namespace: 'team-b', reason: 'SecretNameTaken', message: 'a Secret of that name exists' }],
  lastRotationTime: '2026-01-01T00:00:00Z', nextRotationTime: '2026-01-02T00:00:00Z', conditions: [condition],
};

const kinds = [
  { kind: 'Registry', file: 'registries.berth.yaml', spec: registrySpec, status: registryStatus },
  { kind: 'Repository', file: 'repositories.berth.yaml', spec: repositorySpec, status: repositoryStatus },
  { kind: 'AccessPolicy', file: 'accesspolicies.berth.yaml', spec: accessPolicySpec, status: accessPolicyStatus },
];

const schemaOf = (file: string) => crdSchema(new URL(`../../../crds/${file}`, import.meta.url));
const objectOf = (kind: string, spec: unknown, status: unknown) => ({ apiVersion: API_VERSION, kind, metadata: { name: 'main', namespace: 'registry' }, spec, status });

describe.each(kinds)('the $kind type and crds/$file', ({ kind, file, spec, status }) => {
  const schema = schemaOf(file);

  it('a sample with every field of the TypeScript type conforms to the schema', () => {
    expect(violations(schema, objectOf(kind, spec, status))).toEqual([]);
  });

  it('the sample sets every property of the schema\'s spec and status', () => {
    expect(uncovered(schema.properties!.spec, spec, 'spec')).toEqual([]);
    expect(uncovered(schema.properties!.status, status, 'status')).toEqual([]);
  });
});

describe('the schema check', () => {
  const schema = schemaOf('repositories.berth.yaml');

  it('reports a field that only the TypeScript side has', () => {
    expect(violations(schema, objectOf('Repository', { ...repositorySpec, pinned: true }, repositoryStatus))).toEqual(['spec.pinned: not in the schema']);
  });

  it('reports a property that only the schema has', () => {
    const withExtra: Schema = { ...schema.properties!.status, properties: { ...schema.properties!.status.properties, pullCount: { type: 'integer' } } };
    expect(uncovered(withExtra, repositoryStatus, 'status')).toEqual(['status.pullCount']);
    const { tagPatterns: _dropped, ...immutability } = repositorySpec.immutability;
    expect(uncovered(schema.properties!.spec, { ...repositorySpec, immutability }, 'spec')).toEqual(['spec.immutability.tagPatterns']);
  });

  it('reports values of the wrong type, outside an enum or a pattern, and missing required fields', () => {
    const { registryRef: _ref, ...noRef } = repositorySpec;
    expect(violations(schema, objectOf('Repository', { ...noRef, visibility: 'hidden', quota: { size: 'lots' }, retention: { keepLastTags: '3' } }, {}))).toEqual([
      'spec: required registryRef missing',
      'spec.visibility: "hidden" is not one of ["private","public"]',
      'spec.retention.keepLastTags: not an integer',
      'spec.quota.size: "lots" does not match ^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$',
    ]);
  });

  it('reports an array item field no element sets', () => {
    const conditions = [{ ...condition, observedGeneration: undefined }];
    delete conditions[0].observedGeneration;
    expect(uncovered(schema.properties!.status, { ...repositoryStatus, conditions }, 'status')).toEqual(['status.conditions[].observedGeneration']);
    expect(uncovered(schema.properties!.status, { ...repositoryStatus, conditions: [] }, 'status')).toEqual(['status.conditions[]']);
  });
});
