// TypeScript shapes of the berth.dev/v1alpha1 custom resources (crds/*.yaml).
// Fields the CRD defaults are still optional here: the operator must cope with
// objects written before a default existed.
import type { KubeObject } from '../kube/types.js';
import type { Condition } from './conditions.js';

export const GROUP = 'berth.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export type ResourceList = Record<string, string | number>;

export interface ResourceRequirements {
  requests?: ResourceList;
  limits?: ResourceList;
}

export interface SecretKeyRef {
  name: string;
}

/** One key of a Secret in the Registry's namespace. */
export interface SecretKeySelector {
  name: string;
  key?: string;
}

export interface FilesystemStorageSpec {
  persistentVolumeClaim?: {
    size?: string;
    storageClassName?: string;
    accessModes?: string[];
  };
}

export interface S3StorageSpec {
  endpoint: string;
  bucket: string;
  region?: string;
  prefix?: string;
  pathStyle?: boolean;
  secretRef: SecretKeyRef & { accessKeyKey?: string; secretKeyKey?: string };
  redirect?: { enabled?: boolean; externalEndpoint?: string };
}

export interface MinioStorageSpec {
  managed: boolean;
  bucket?: string;
  image?: string;
  clientImage?: string;
  size?: string;
  storageClassName?: string;
  resources?: ResourceRequirements;
}

/** A PostgreSQL the user runs (e.g. CloudNativePG): its URL in a Secret, TLS optional. */
export interface PostgresMetadataSpec {
  /** The key holds a libpq URL; default key `uri` (CloudNativePG's `<cluster>-app` Secret). */
  secretRef: SecretKeySelector;
  tls?: {
    /** The CA that signed the server's certificate; default key `ca.crt` (CloudNativePG's `<cluster>-ca`). */
    caSecretRef?: SecretKeySelector;
    insecureSkipVerify?: boolean;
  };
}

/** A single-instance PostgreSQL the operator runs for the Registry. */
export interface ManagedPostgresSpec {
  /** Unset: the operator's --postgres-image (the chart's managedPostgres.image). */
  image?: string;
  size?: string;
  storageClassName?: string;
  resources?: ResourceRequirements;
}

/** Where the registry's metadata index lives: exactly one of the three. */
export interface MetadataSpec {
  /** SQLite inside the registry pod; only with one replica. */
  embedded?: Record<string, never>;
  postgres?: PostgresMetadataSpec;
  managed?: ManagedPostgresSpec;
}

/**
 * The cluster's own ServiceAccount issuer: pods pull with pod-bound tokens the kubelet
 * requests for `audience` (AccessPolicy credentials `serviceAccountToken`).
 */
export interface ClusterIssuerSpec {
  /** The tokens' audience: the kubelet's serviceAccountTokenAudience and the RBAC resource nodes are granted. Default `<name>.<namespace>.svc`. */
  audience?: string;
  /** `both` (default): signature and TokenReview; `jwks`: signature only. */
  verify?: 'jwks' | 'both';
  /** The issuer URL (`iss`); default: read from the API server's OIDC discovery document. */
  issuer?: string;
  /** The API server pods reach, for TokenReview and the JWKS. */
  apiServer?: string;
  /** Image host names (HOST[:PORT]) the kubelet configuration matches besides the Service's names. */
  additionalHosts?: string[];
}

/** An outside OIDC issuer (a CI system) whose tokens the registry accepts. */
export interface FederatedIssuerSpec {
  name: string;
  issuer: string;
  audiences: string[];
  type?: 'oidc' | 'kubernetes';
  jwksURI?: string;
  subjectClaim?: string;
  requiredClaims?: string[];
  /** A ConfigMap in the Registry's namespace holding the CA bundle of the issuer's endpoints. */
  caConfigMapRef?: { name: string; key?: string };
}

export interface FederationSpec {
  cluster?: ClusterIssuerSpec;
  issuers?: FederatedIssuerSpec[];
}

/** A Secret key holding registry credentials: a Docker config.json or YAML {username, password}. */
export interface CredentialsSecretRef {
  name: string;
  /** Default `.dockerconfigjson` (a kubernetes.io/dockerconfigjson Secret). */
  key?: string;
}

/** An upstream registry the pull-through cache serves (docs/mirroring.md). */
export interface UpstreamSpec {
  host: string;
  aliases?: string[];
  url: string;
  credentialsSecretRef?: CredentialsSecretRef;
  /** A CA bundle trusted for the upstream; default key `ca.crt`. */
  caSecretRef?: SecretKeySelector;
  tagTTL?: string;
  staleIfError?: string;
  include?: string[];
  exclude?: string[];
  maxSize?: string;
  maxConcurrentFetches?: number;
  /** Bytes per second, as a quantity. */
  maxBandwidth?: string;
  anonymousPull?: boolean;
}

/** Tag selection shared by sync and replication rules. */
export interface TagSelection {
  tags?: string[];
  excludeTags?: string[];
  semver?: string;
  newest?: number;
}

export interface SyncRuleSpec extends TagSelection {
  name: string;
  upstream: string;
  repositories: string[];
  platforms?: string[];
  interval?: string;
  concurrency?: number;
  referrers?: boolean;
}

export interface MirrorSpec {
  upstreams?: UpstreamSpec[];
  sync?: SyncRuleSpec[];
  /** containerd's hosts.toml per upstream, in a ConfigMap, and an opt-in installer DaemonSet. */
  containerd?: {
    /** How nodes reach the registry; unset: the Service's ClusterIP. */
    endpoint?: string;
    caFile?: string;
    skipVerify?: boolean;
    fallbackToUpstream?: boolean;
    installer?: { enabled?: boolean; certsDir?: string };
  };
}

export interface ReplicationRuleSpec extends TagSelection {
  name: string;
  repositories: string[];
  url: string;
  prefix?: string;
  credentialsSecretRef?: CredentialsSecretRef;
  caSecretRef?: SecretKeySelector;
  onPush?: boolean;
  interval?: string;
  concurrency?: number;
  referrers?: boolean;
}

/** A trusted signing key: a PEM public key in a Secret of the Registry's namespace (never uploaded). */
export interface TrustKeySpec {
  /** What policies name it by (requireSignature.keys, vulnDB.signedBy). */
  name: string;
  /** Default key `cosign.pub` (what `cosign generate-key-pair` writes). */
  secretRef: SecretKeySelector;
}

/** Scanning, the vulnerability database and trusted keys (docs/supply-chain.md). */
export interface RegistrySecuritySpec {
  scanning?: {
    enabled?: boolean;
    backend?: 'builtin' | 'osv-scanner' | 'harbor-adapter';
    concurrency?: number;
    /** The Harbor Pluggable Scanner API adapter, for backend harbor-adapter. */
    harborAdapter?: { url: string; authorizationSecretRef?: SecretKeySelector };
  };
  vulnDB?: {
    repository?: string;
    tag?: string;
    /** How often the tag is resolved: a new database re-matches every stored inventory. */
    refreshInterval?: string;
    /** Older than this, the database is reported stale (VulnDBFresh False). */
    maxAge?: string;
    signedBy?: string[];
  };
  trust?: { keys?: TrustKeySpec[] };
}

export interface PreventVulnerableSpec {
  severity?: 'Unknown' | 'Negligible' | 'Low' | 'Medium' | 'High' | 'Critical';
  mode?: 'Enforce' | 'Audit';
  pendingScan?: 'Allow' | 'Deny';
  maxPendingScan?: string;
}

export interface RequireSignatureSpec {
  keys: string[];
  minSignatures?: number;
  mode?: 'Enforce' | 'Audit';
}

/** Pull policies: the same for a Repository and for the credentials an AccessPolicy issues. */
export interface PullPolicySpec {
  preventVulnerable?: PreventVulnerableSpec;
  requireSignature?: RequireSignatureSpec;
}

export interface RepositorySecuritySpec extends PullPolicySpec {
  cveAllowlist?: Array<{ id: string; expires?: string; reason?: string }>;
}

export interface RegistrySpec {
  replicas?: number;
  image?: string;
  imagePullPolicy?: string;
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  resources?: ResourceRequirements;
  storage: { filesystem?: FilesystemStorageSpec; s3?: S3StorageSpec; minio?: MinioStorageSpec };
  metadata?: MetadataSpec;
  service?: { type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer'; port?: number; nodePort?: number };
  tls?: { secretRef?: SecretKeyRef; selfSigned?: boolean };
  /** Install containerd host configuration on the nodes so they pull by the Service name (default on). */
  nodeAccess?: { enabled?: boolean };
  auth?: { enabled?: boolean; tokenTTL?: string; signingKeyRotationPeriod?: string; federation?: FederationSpec };
  gc?: { enabled?: boolean; interval?: string; gracePeriod?: string };
  uploads?: { purgeInterval?: string; purgeAfter?: string };
  /** The web UI and its browsing API; unset, the registry's default (on). */
  ui?: { enabled?: boolean };
  mirror?: MirrorSpec;
  replication?: { rules?: ReplicationRuleSpec[] };
  security?: RegistrySecuritySpec;
}

export interface RegistryStatus {
  observedGeneration?: number;
  endpoint?: string;
  readyReplicas?: number;
  configHash?: string;
  signingKeyID?: string;
  conditions?: Condition[];
}

export interface Registry extends KubeObject {
  spec: RegistrySpec;
  status?: RegistryStatus;
}

export interface RepositorySpec {
  registryRef: { name: string };
  name: string;
  visibility?: 'private' | 'public';
  immutability?: { enabled?: boolean; tagPatterns?: string[] };
  retention?: { keepLastTags?: number; keepTagPatterns?: string[]; untaggedOlderThan?: string; dryRun?: boolean };
  quota?: { size: string };
  /** Delete: deleting the Repository deletes its content (a finalizer); Retain (default): the content stays. */
  deletionPolicy?: 'Retain' | 'Delete';
  security?: RepositorySecuritySpec;
}

/** An advisory among the most severe in the repository's tagged images. */
export interface TopVulnerabilityStatus {
  id: string;
  severity: string;
  package: string;
  tags: string[];
}

/** What the registry's scans and signature checks say of the repository's tagged images. */
export interface RepositorySecurityStatus {
  critical: number;
  high: number;
  tags: number;
  scannedTags: number;
  /** Tags whose image has no signature by a trusted key (absent when no key is configured). */
  unsignedTags?: number;
  vulnDBDigest?: string;
  lastMatchTime?: string;
  topVulnerabilities: TopVulnerabilityStatus[];
  /** The (image, advisory) pairs already announced by a NewVulnerability Event, hashed (controllers/repository/vulnerability-events.ts). */
  announced?: string[];
}

export interface RepositoryStatus {
  observedGeneration?: number;
  tagCount?: number;
  manifestCount?: number;
  sizeBytes?: number;
  quotaUsedBytes?: number;
  quotaLimitBytes?: number;
  lastPushTime?: string;
  security?: RepositorySecurityStatus;
  conditions?: Condition[];
}

export interface Repository extends KubeObject {
  spec: RepositorySpec;
  status?: RepositoryStatus;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

export type CredentialMode = 'pullSecret' | 'serviceAccountToken';

/** Identities of an outside issuer (Registry spec.auth.federation.issuers) by subject and claim globs. */
export interface FederatedIdentitySpec {
  issuer: string;
  subject?: string;
  claims?: Record<string, string>;
}

export interface AccessPolicySpec {
  registryRef: { name: string };
  namespaces?: { names?: string[]; selector?: LabelSelector };
  /** How selected workloads authenticate: robot pull secrets, their own ServiceAccount tokens, or both (a migration). */
  credentials?: CredentialMode[];
  serviceAccounts?: string[];
  /** CI identities granted the same repositories and actions. */
  federated?: FederatedIdentitySpec[];
  repositories: string[];
  actions: Array<'pull' | 'push' | 'delete'>;
  rotationPeriod?: string;
  /** How long a replaced credential stays valid once its successor is everywhere. */
  overlap?: string;
  secretName?: string;
  additionalHosts?: string[];
  /** Pull policies for the credentials this policy issues, on its repositories. */
  pullPolicy?: PullPolicySpec;
}

export interface AccessPolicyStatus {
  observedGeneration?: number;
  namespaceCount?: number;
  syncedNamespaceCount?: number;
  /** ServiceAccounts granted pulls with their own tokens. */
  serviceAccountCount?: number;
  failedNamespaces?: Array<{ namespace: string; reason: string; message?: string }>;
  lastRotationTime?: string;
  nextRotationTime?: string;
  conditions?: Condition[];
}

export interface AccessPolicy extends KubeObject {
  spec: AccessPolicySpec;
  status?: AccessPolicyStatus;
}
