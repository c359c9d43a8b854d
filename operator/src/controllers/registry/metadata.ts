// The registry's metadata index (spec.metadata): which engine its config names,
// and the files the pod needs for it. Embedded is SQLite inside the pod; postgres
// and managed are a PostgreSQL every replica shares, reached through a URL file
// mounted from a Secret (the user's, or the managed database's credentials).
import type { RegistryConfigInput } from '#contract/config/schema.js';
import type { ManagedPostgresSpec, PostgresMetadataSpec, Registry } from '../../api/types.js';
import { TerminalError } from '../../runtime/errors.js';
import { registryNames } from './names.js';

export type MetadataChoice =
  | { kind: 'embedded' }
  | { kind: 'postgres'; spec: PostgresMetadataSpec }
  | { kind: 'managed'; spec: ManagedPostgresSpec };

/** Where the pod finds the index's files; the config below names exactly these. */
export const metadataPaths = {
  urlDir: '/etc/berth/metadata',
  caDir: '/etc/berth/metadata-ca',
  /** SQLite with object storage: an emptyDir, rebuilt from storage when the pod starts. */
  sqliteDir: '/var/lib/berth-metadata',
};
const URL_FILE = 'url';
const CA_FILE = 'ca.crt';

/** Keys of the managed database's credentials Secret. */
export const MANAGED_URL_KEY = 'uri';
export const DEFAULT_URL_KEY = 'uri';
export const DEFAULT_CA_KEY = 'ca.crt';

/** The one choice the spec makes; no metadata block means embedded (objects stored before the field existed). */
export function metadataChoice(reg: Registry): MetadataChoice {
  const { embedded, postgres, managed } = reg.spec.metadata ?? { embedded: {} };
  const set = [embedded, postgres, managed].filter((x) => x !== undefined).length;
  if (set !== 1) throw new TerminalError('spec.metadata: set exactly one of embedded, postgres and managed');
  if (postgres) return { kind: 'postgres', spec: postgres };
  if (managed) return { kind: 'managed', spec: managed };
  return { kind: 'embedded' };
}

/** The Secret key holding the database URL, for postgres and managed. */
export function urlSecretKey(reg: Registry, choice = metadataChoice(reg)): { name: string; key: string } | undefined {
  if (choice.kind === 'postgres') return { name: choice.spec.secretRef.name, key: choice.spec.secretRef.key ?? DEFAULT_URL_KEY };
  if (choice.kind === 'managed') return { name: registryNames(reg.metadata.name).postgresCredentials, key: MANAGED_URL_KEY };
  return undefined;
}

/** The CA Secret key, when postgres.tls.caSecretRef is set. */
export function caSecretKey(choice: MetadataChoice): { name: string; key: string } | undefined {
  const ref = choice.kind === 'postgres' ? choice.spec.tls?.caSecretRef : undefined;
  return ref ? { name: ref.name, key: ref.key ?? DEFAULT_CA_KEY } : undefined;
}

/** The config's metadata block. `dataDir` is the filesystem storage root, when storage is a filesystem. */
export function metadataConfig(reg: Registry, dataDir: string | undefined): RegistryConfigInput['metadata'] {
  const choice = metadataChoice(reg);
  if (choice.kind === 'embedded') {
    // The CRD refuses this; a Registry stored before that rule existed still gets here, and
    // replicas with an index each would answer differently.
    if ((reg.spec.replicas ?? 1) > 1) {
      throw new TerminalError('metadata.embedded is SQLite inside one pod and supports only replicas: 1; set metadata.postgres or metadata.managed for more replicas');
    }
    // Beside the content on the data volume; with object storage on the pod's emptyDir.
    const path = dataDir ? `${dataDir}/_metadata/index.db` : `${metadataPaths.sqliteDir}/index.db`;
    return { engine: 'sqlite', sqlite: { path } };
  }
  const ca = caSecretKey(choice);
  const insecure = choice.kind === 'postgres' && choice.spec.tls?.insecureSkipVerify === true;
  return {
    engine: 'postgres',
    postgres: {
      urlFile: `${metadataPaths.urlDir}/${URL_FILE}`,
      ...(ca || insecure ? { tls: { ...(ca ? { caFile: `${metadataPaths.caDir}/${CA_FILE}` } : {}), ...(insecure ? { insecureSkipVerify: true } : {}) } } : {}),
    },
  };
}

/** Volumes and mounts: the URL and CA, each a single Secret key (a CA Secret's private key stays out of the pod). */
export function metadataVolumes(reg: Registry): Array<{ volume: Record<string, unknown>; mount: Record<string, unknown> }> {
  const choice = metadataChoice(reg);
  const list: Array<{ volume: Record<string, unknown>; mount: Record<string, unknown> }> = [];
  if (choice.kind === 'embedded') {
    if (!reg.spec.storage.filesystem) {
      list.push({ volume: { name: 'metadata', emptyDir: {} }, mount: { name: 'metadata', mountPath: metadataPaths.sqliteDir } });
    }
    return list;
  }
  const url = urlSecretKey(reg, choice)!;
  list.push({
    volume: { name: 'metadata-url', secret: { secretName: url.name, items: [{ key: url.key, path: URL_FILE }], defaultMode: 0o440 } },
    mount: { name: 'metadata-url', mountPath: metadataPaths.urlDir, readOnly: true },
  });
  const ca = caSecretKey(choice);
  if (ca) {
    list.push({
      volume: { name: 'metadata-ca', secret: { secretName: ca.name, items: [{ key: ca.key, path: CA_FILE }], defaultMode: 0o440 } },
      mount: { name: 'metadata-ca', mountPath: metadataPaths.caDir, readOnly: true },
    });
  }
  return list;
}
