// The operator-managed PostgreSQL of the metadata index (metadata.managed): a
// single-instance StatefulSet of the official image on a PersistentVolumeClaim the
// Registry owns, its Service, and generated credentials. The registry mounts the
// credentials Secret's `uri` key as its database URL file.
import { randomBytes } from 'node:crypto';
import type { Registry } from '../../api/types.js';
import type { KubeObject } from '../../kube/types.js';
import { MANAGED_URL_KEY } from './metadata.js';
import { ownedLabels, ownerReference, registryNames, selectorLabels } from './names.js';

const COMPONENT = 'berth-postgres';
/** The official image's postgres user; its entrypoint runs unprivileged when started as this user. */
const POSTGRES_UID = 999;
export const POSTGRES_PORT = 5432;
export const DEFAULT_POSTGRES_IMAGE = 'postgres:15';
const DATA_DIR = '/var/lib/postgresql/data';

export interface PostgresCredentials {
  username: string;
  password: string;
  database: string;
}

export function generatePostgresCredentials(): PostgresCredentials {
  // base64url: nothing to escape in the URL, nothing to quote for the server.
  return { username: 'berth', password: randomBytes(24).toString('base64url'), database: 'berth' };
}

export function postgresCredentialsFromSecret(secret: { data?: Record<string, string> } | undefined): PostgresCredentials | undefined {
  const get = (k: string) => (secret?.data?.[k] ? Buffer.from(secret.data[k], 'base64').toString('utf8') : undefined);
  const [username, password, database] = [get('username'), get('password'), get('database')];
  return username && password && database ? { username, password, database } : undefined;
}

/** In-cluster URL of the managed database. Plain TCP inside the namespace, as for the managed MinIO. */
export function managedPostgresUrl(reg: Registry, c: PostgresCredentials): string {
  const host = `${registryNames(reg.metadata.name).postgres}.${reg.metadata.namespace}.svc`;
  return `postgresql://${encodeURIComponent(c.username)}:${encodeURIComponent(c.password)}@${host}:${POSTGRES_PORT}/${encodeURIComponent(c.database)}?sslmode=disable`;
}

function meta(reg: Registry, name: string) {
  return { name, namespace: reg.metadata.namespace, labels: ownedLabels(reg, COMPONENT), ownerReferences: [ownerReference(reg)] };
}

/** Credentials Secret, Service, PersistentVolumeClaim and StatefulSet; empty unless metadata.managed. */
export function managedPostgresObjects(reg: Registry, creds: PostgresCredentials, defaultImage: string): KubeObject[] {
  const managed = reg.spec.metadata?.managed;
  if (!managed) return [];
  const names = registryNames(reg.metadata.name);
  const selector = selectorLabels(reg, COMPONENT);
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  const secretEnv = (name: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: names.postgresCredentials, key } } });
  const ready = ['pg_isready', '--host=127.0.0.1', `--port=${POSTGRES_PORT}`, `--username=${creds.username}`, `--dbname=${creds.database}`];

  const credentials: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(reg, names.postgresCredentials),
    type: 'Opaque',
    data: {
      username: b64(creds.username),
      password: b64(creds.password),
      database: b64(creds.database),
      [MANAGED_URL_KEY]: b64(managedPostgresUrl(reg, creds)),
    },
  };
  const service: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(reg, names.postgres),
    spec: { type: 'ClusterIP', selector, ports: [{ name: 'postgres', port: POSTGRES_PORT, targetPort: 'postgres', protocol: 'TCP' }] },
  };
  const volumeClaim: KubeObject = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta(reg, names.postgresData),
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: managed.size ?? '10Gi' } },
      ...(managed.storageClassName ? { storageClassName: managed.storageClassName } : {}),
    },
  };
  const statefulSet: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(reg, names.postgres),
    spec: {
      serviceName: names.postgres,
      // One instance: a StatefulSet never runs two pods of one identity, so two servers never share the data directory.
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: ownedLabels(reg, COMPONENT) },
        spec: {
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: 60,
          securityContext: {
            runAsNonRoot: true, runAsUser: POSTGRES_UID, runAsGroup: POSTGRES_UID, fsGroup: POSTGRES_UID, seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'postgres',
              image: managed.image ?? defaultImage,
              env: [
                secretEnv('POSTGRES_USER', 'username'),
                secretEnv('POSTGRES_PASSWORD', 'password'),
                secretEnv('POSTGRES_DB', 'database'),
                // A subdirectory: the volume's root may hold lost+found and belong to root.
                { name: 'PGDATA', value: `${DATA_DIR}/pgdata` },
              ],
              ports: [{ name: 'postgres', containerPort: POSTGRES_PORT, protocol: 'TCP' }],
              startupProbe: { exec: { command: ready }, periodSeconds: 5, failureThreshold: 60, timeoutSeconds: 3 },
              readinessProbe: { exec: { command: ready }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 3 },
              livenessProbe: { exec: { command: ready }, periodSeconds: 20, failureThreshold: 6, timeoutSeconds: 5 },
              resources: managed.resources ?? { requests: { cpu: '100m', memory: '256Mi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [
                { name: 'data', mountPath: DATA_DIR },
                // The server's socket and lock file, and scratch space, on a read-only root filesystem.
                { name: 'run', mountPath: '/var/run/postgresql' },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'data', persistentVolumeClaim: { claimName: names.postgresData } },
            { name: 'run', emptyDir: {} },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  };
  return [credentials, service, volumeClaim, statefulSet];
}
