// Registry.spec.mirror and spec.replication: the config's mirror and replication
// blocks, the Secrets they read (credentials and CA bundles, mounted key by key
// into folders so a rotated Secret reaches the registry without a restart: the
// registry reloads credentials files when they change), and containerd's
// hosts.toml per upstream in a ConfigMap for the nodes, with an opt-in DaemonSet
// that installs them.
import type { RegistryConfigInput } from '#contract/config/schema.js';
import { KNOWN_SERVERS, renderHostsToml } from '#contract/mirror/hosts-toml.js';
import { parseDurationSeconds } from '../../api/duration.js';
import type { CredentialsSecretRef, Registry, SecretKeySelector } from '../../api/types.js';
import { TerminalError } from '../../runtime/errors.js';
import type { KubeObject } from '../../kube/types.js';
import { parseQuantityBytes } from '../repository/settings.js';
import { ownedLabels, ownerReference, registryNames, selectorLabels } from './names.js';

export const MIRROR_DIR = '/etc/berth/mirror';
const DEFAULT_CREDENTIALS_KEY = '.dockerconfigjson';
const DEFAULT_CA_KEY = 'ca.crt';

type Volume = { volume: Record<string, unknown>; mount: Record<string, unknown> };

function seconds(value: string | undefined, fallback: string, field: string): number {
  try {
    return parseDurationSeconds(value ?? fallback);
  } catch (err) {
    throw new TerminalError(`spec.${field}: ${(err as Error).message}`);
  }
}

function bytes(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseQuantityBytes(value);
  } catch (err) {
    throw new TerminalError(`spec.${field}: ${(err as Error).message}`);
  }
}

/** Where one upstream's or rule's Secrets are mounted: `<dir>/auth/credentials` and `<dir>/ca/ca.crt`. */
const upstreamDir = (i: number) => `${MIRROR_DIR}/upstream-${i}`;
const ruleDir = (i: number) => `${MIRROR_DIR}/replication-${i}`;

function secretFiles(dir: string, credentials: CredentialsSecretRef | undefined, ca: SecretKeySelector | undefined) {
  return {
    ...(credentials ? { credentialsFile: `${dir}/auth/credentials` } : {}),
    tls: ca ? { caFile: `${dir}/ca/ca.crt` } : {},
  };
}

export function mirrorConfig(reg: Registry): Pick<RegistryConfigInput, 'mirror' | 'replication'> {
  const mirror = reg.spec.mirror ?? {};
  const upstreams = (mirror.upstreams ?? []).map((u, i) => {
    const at = `mirror.upstreams[${i}]`;
    return {
      host: u.host,
      aliases: u.aliases ?? [],
      url: u.url,
      ...secretFiles(upstreamDir(i), u.credentialsSecretRef, u.caSecretRef),
      tagTTLSeconds: seconds(u.tagTTL, '5m', `${at}.tagTTL`),
      staleIfErrorSeconds: seconds(u.staleIfError, '168h', `${at}.staleIfError`),
      include: u.include ?? ['**'],
      exclude: u.exclude ?? [],
      ...(u.maxSize !== undefined ? { maxSizeBytes: bytes(u.maxSize, `${at}.maxSize`) } : {}),
      maxConcurrentFetches: u.maxConcurrentFetches ?? 8,
      ...(u.maxBandwidth !== undefined ? { maxBandwidthBytesPerSecond: bytes(u.maxBandwidth, `${at}.maxBandwidth`) } : {}),
      anonymousPull: u.anonymousPull ?? false,
    };
  });
  const sync = (mirror.sync ?? []).map((r, i) => ({
    name: r.name,
    upstream: r.upstream,
    repositories: r.repositories,
    tags: r.tags ?? ['*'],
    excludeTags: r.excludeTags ?? [],
    ...(r.semver !== undefined ? { semver: r.semver } : {}),
    ...(r.newest !== undefined ? { newest: r.newest } : {}),
    platforms: r.platforms ?? [],
    intervalSeconds: seconds(r.interval, '1h', `mirror.sync[${i}].interval`),
    concurrency: r.concurrency ?? 4,
    referrers: r.referrers ?? true,
  }));
  const replication = (reg.spec.replication?.rules ?? []).map((r, i) => ({
    name: r.name,
    repositories: r.repositories,
    tags: r.tags ?? ['*'],
    excludeTags: r.excludeTags ?? [],
    ...(r.semver !== undefined ? { semver: r.semver } : {}),
    ...(r.newest !== undefined ? { newest: r.newest } : {}),
    url: r.url,
    prefix: r.prefix ?? '',
    ...secretFiles(ruleDir(i), r.credentialsSecretRef, r.caSecretRef),
    onPush: r.onPush ?? true,
    intervalSeconds: r.interval === undefined ? 0 : seconds(r.interval, '0s', `replication.rules[${i}].interval`),
    concurrency: r.concurrency ?? 4,
    referrers: r.referrers ?? true,
  }));
  return { mirror: { upstreams, sync }, replication };
}

function secretVolume(name: string, dir: string, credentials: CredentialsSecretRef | undefined, ca: SecretKeySelector | undefined): Volume[] {
  const out: Volume[] = [];
  // One volume per Secret, mounted as a folder (never subPath, which freezes the file): rotations reach the pod.
  if (credentials) {
    out.push({
      volume: { name: `${name}-credentials`, secret: { secretName: credentials.name, items: [{ key: credentials.key ?? DEFAULT_CREDENTIALS_KEY, path: 'credentials' }], defaultMode: 0o440 } },
      mount: { name: `${name}-credentials`, mountPath: `${dir}/auth`, readOnly: true },
    });
  }
  if (ca) {
    out.push({
      volume: { name: `${name}-ca`, secret: { secretName: ca.name, items: [{ key: ca.key ?? DEFAULT_CA_KEY, path: 'ca.crt' }], defaultMode: 0o440 } },
      mount: { name: `${name}-ca`, mountPath: `${dir}/ca`, readOnly: true },
    });
  }
  return out;
}

/** The Secrets the mirror and replication config name, as volumes of the registry's pods. */
export function mirrorVolumes(reg: Registry): Volume[] {
  return [
    ...(reg.spec.mirror?.upstreams ?? []).flatMap((u, i) => secretVolume(`upstream-${i}`, upstreamDir(i), u.credentialsSecretRef, u.caSecretRef)),
    ...(reg.spec.replication?.rules ?? []).flatMap((r, i) => secretVolume(`replication-${i}`, ruleDir(i), r.credentialsSecretRef, r.caSecretRef)),
  ];
}

/**
 * containerd's `hosts.toml` for each upstream, keyed `<host>.toml`: the registry as
 * the mirror (pull and resolve; containerd adds `?ns=<host>`, which is how the
 * registry picks the upstream), and the upstream itself as the fallback unless the
 * nodes are air-gapped. `endpoint` is how nodes reach the registry: they cannot
 * resolve *.svc names, so it is the Service's ClusterIP unless the spec names one;
 * undefined while the Service has no ClusterIP yet (nothing is rendered).
 */
export function containerdHosts(reg: Registry, serviceEndpoint: string | undefined): Record<string, string> | undefined {
  const upstreams = reg.spec.mirror?.upstreams ?? [];
  const c = reg.spec.mirror?.containerd ?? {};
  const endpoint = c.endpoint ?? serviceEndpoint;
  if (!upstreams.length || !endpoint) return undefined;
  return Object.fromEntries(upstreams.map((u) => [`${u.host}.toml`, renderHostsToml({
    server: (c.fallbackToUpstream ?? true) ? (KNOWN_SERVERS[u.host] ?? u.url) : undefined,
    mirror: endpoint,
    caFile: c.caFile,
    skipVerify: c.skipVerify,
    dialTimeout: '2s',
  })]));
}

const INSTALLER = 'berth-containerd-hosts';

/**
 * The opt-in DaemonSet that writes the hosts.toml files into containerd's certs.d
 * folder on every node (`berth-registry install-containerd-hosts`, from the registry
 * image). It runs as root with only that host folder and the ConfigMap mounted, on
 * every node including tainted ones; containerd reads the files on each pull, so no
 * restart is needed.
 */
export function containerdInstaller(reg: Registry, configMapName: string): KubeObject | undefined {
  const c = reg.spec.mirror?.containerd;
  if (!c?.installer?.enabled || !(reg.spec.mirror?.upstreams ?? []).length) return undefined;
  const selector = selectorLabels(reg, INSTALLER);
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name: registryNames(reg.metadata.name).containerdHosts, namespace: reg.metadata.namespace,
      labels: ownedLabels(reg, INSTALLER), ownerReferences: [ownerReference(reg)],
    },
    spec: {
      selector: { matchLabels: selector },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%' } },
      template: {
        metadata: { labels: ownedLabels(reg, INSTALLER) },
        spec: {
          automountServiceAccountToken: false,
          tolerations: [{ operator: 'Exists' }],
          securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: 'install',
            image: reg.spec.image ?? 'ghcr.io/berth-dev/berth-registry:v0.1.0',
            imagePullPolicy: reg.spec.imagePullPolicy ?? 'IfNotPresent',
            command: ['berth-registry', 'install-containerd-hosts', '--from', '/etc/berth/containerd-hosts', '--to', '/host/certs.d'],
            resources: { requests: { cpu: '5m', memory: '32Mi' }, limits: { memory: '64Mi' } },
            // Root only to write the host's root-owned folder; nothing else is granted.
            securityContext: { runAsUser: 0, runAsNonRoot: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'], add: ['DAC_OVERRIDE'] } },
            volumeMounts: [
              { name: 'hosts', mountPath: '/etc/berth/containerd-hosts', readOnly: true },
              { name: 'certs-d', mountPath: '/host/certs.d' },
            ],
          }],
          volumes: [
            { name: 'hosts', configMap: { name: configMapName } },
            { name: 'certs-d', hostPath: { path: c.installer.certsDir ?? '/etc/containerd/certs.d', type: 'DirectoryOrCreate' } },
          ],
        },
      },
    },
  };
}
