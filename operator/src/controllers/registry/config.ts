// The registry's own config file, built from the Registry spec and rendered by the
// registry's renderConfigYaml (which validates with the registry's schema), so the
// operator can never write a file the registry would refuse.
import type { RegistryConfigInput } from '#contract/config/schema.js';
import { ConfigError, renderConfigYaml } from '#contract/config/load.js';
import { parseDurationSeconds } from '../../api/duration.js';
import type { Registry } from '../../api/types.js';
import { TerminalError } from '../../runtime/errors.js';
import type { RepositorySettingsEntry } from '../repository/settings.js';
import { ADMIN_USERNAME } from './admin-credential.js';
import { metadataConfig } from './metadata.js';
import { federationConfig } from './federation.js';
import { mirrorConfig } from './mirror.js';
import { registryNames, serviceHost } from './names.js';
import { securityConfig } from './security.js';
import { ROBOT_SHARDS, robotFileName } from '../access-policy/robot-shards.js';

/** Where the Deployment mounts each input; config paths below must agree (the metadata index's are in metadata.ts). */
export const paths = {
  configFile: '/etc/berth/config.yaml',
  keysDir: '/etc/berth/keys',
  policyDir: '/etc/berth/policy',
  tlsDir: '/etc/berth/tls',
  s3Dir: '/etc/berth/s3',
  dataDir: '/var/lib/berth',
};

/** Key of the policy file in the `<registry>-policy` Secret. */
export const POLICY_FILE_KEY = 'policy.yaml';

export const REGISTRY_PORT = 5000;
export const MINIO_PORT = 9000;

export function minioEndpoint(reg: Registry): string {
  return `http://${registryNames(reg.metadata.name).minio}.${reg.metadata.namespace}.svc:${MINIO_PORT}`;
}

function seconds(value: string | undefined, fallback: string, field: string): number {
  try {
    return parseDurationSeconds(value ?? fallback);
  } catch (err) {
    throw new TerminalError(`spec.${field}: ${(err as Error).message}`);
  }
}

function storageConfig(reg: Registry): RegistryConfigInput['storage'] {
  const { filesystem, s3, minio } = reg.spec.storage;
  if (filesystem) return { filesystem: { root: paths.dataDir } };
  const keyFiles = { accessKeyFile: `${paths.s3Dir}/accessKey`, secretKeyFile: `${paths.s3Dir}/secretKey` };
  if (s3) {
    return {
      s3: {
        endpoint: s3.endpoint,
        region: s3.region ?? 'us-east-1',
        bucket: s3.bucket,
        pathStyle: s3.pathStyle ?? true,
        prefix: s3.prefix ?? '',
        ...keyFiles,
        redirect: { enabled: s3.redirect?.enabled ?? false, ...(s3.redirect?.externalEndpoint ? { externalEndpoint: s3.redirect.externalEndpoint } : {}) },
      },
    };
  }
  if (minio) return { s3: { endpoint: minioEndpoint(reg), region: 'us-east-1', bucket: minio.bucket ?? 'berth', pathStyle: true, prefix: '', ...keyFiles } };
  throw new TerminalError('spec.storage: set exactly one of filesystem, s3 and minio');
}

/** What the config needs beyond the Registry spec, prepared by the reconciler. */
export interface ConfigInputs {
  /** Newest first; empty when auth is disabled. */
  signingKeyIds: string[];
  /** Hash of the admin password (the `<registry>-admin` Secret), when auth is enabled. */
  adminPasswordHash?: string;
  /** Settings rendered from the Registry's Repository objects. */
  repositories?: RepositorySettingsEntry[];
  /** The cluster's ServiceAccount issuer (`iss`), when spec.auth.federation.cluster is set. */
  clusterIssuerUrl?: string;
}

export function registryConfig(reg: Registry, inputs: ConfigInputs): RegistryConfigInput {
  const { spec } = reg;
  const { signingKeyIds, adminPasswordHash, repositories = [] } = inputs;
  const authEnabled = spec.auth?.enabled ?? true;
  const federation = federationConfig(reg, inputs.clusterIssuerUrl);
  return {
    http: {
      listen: `0.0.0.0:${REGISTRY_PORT}`,
      ...(spec.tls ? { tls: { certFile: `${paths.tlsDir}/tls.crt`, keyFile: `${paths.tlsDir}/tls.key` } } : {}),
    },
    storage: storageConfig(reg),
    metadata: metadataConfig(reg, spec.storage.filesystem ? paths.dataDir : undefined),
    log: { level: spec.logLevel ?? 'info' },
    uploads: {
      purgeIntervalSeconds: seconds(spec.uploads?.purgeInterval, '1h', 'uploads.purgeInterval'),
      purgeAfterSeconds: seconds(spec.uploads?.purgeAfter, '24h', 'uploads.purgeAfter'),
    },
    gc: {
      enabled: spec.gc?.enabled ?? true,
      intervalSeconds: seconds(spec.gc?.interval, '24h', 'gc.interval'),
      gracePeriodSeconds: seconds(spec.gc?.gracePeriod, '1h', 'gc.gracePeriod'),
    },
    metrics: { enabled: true },
    auth: {
      enabled: authEnabled,
      service: serviceHost(reg),
      issuer: `berth-operator/${reg.metadata.namespace}/${reg.metadata.name}`,
      tokenTTLSeconds: seconds(spec.auth?.tokenTTL, '5m', 'auth.tokenTTL'),
      signingKeys: authEnabled ? signingKeyIds.map((kid) => ({ kid, privateKeyFile: `${paths.keysDir}/${kid}.pem` })) : [],
      // Robots and rules rendered from every AccessPolicy of this Registry (controllers/access-policy).
      ...(authEnabled ? { policyFile: `${paths.policyDir}/${POLICY_FILE_KEY}`, robotFiles: Array.from({ length: ROBOT_SHARDS }, (_, i) => `${paths.policyDir}/${robotFileName(i)}`) } : {}),
      ...(authEnabled && adminPasswordHash ? { admin: { username: ADMIN_USERNAME, passwordHash: adminPasswordHash } } : {}),
      // Absent unless configured, so a Registry without issuers renders (and hashes) as before.
      ...(federation.issuers.length ? { federation } : {}),
    },
    repositories,
    ...mirrorConfig(reg),
    // Absent unless set, so a Registry without spec.ui renders (and hashes) as before: the registry's default is on.
    ...(spec.ui ? { ui: { enabled: spec.ui.enabled ?? true } } : {}),
    ...securityConfig(reg),
  };
}

/** Renders the config YAML; a config the registry schema refuses is a terminal spec error. */
export function renderRegistryConfig(reg: Registry, inputs: ConfigInputs): string {
  try {
    return renderConfigYaml(registryConfig(reg, inputs));
  } catch (err) {
    if (err instanceof ConfigError) throw new TerminalError(err.message);
    throw err;
  }
}
