// Command-line options of the operator process (flags override environment).
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_POSTGRES_IMAGE } from './controllers/registry/postgres.js';
import type { LogLevel } from './runtime/logger.js';

export interface OperatorOptions {
  kubeconfig?: string;
  /** Only watch this namespace (all namespaces when empty). */
  namespace?: string;
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  healthHost: string;
  healthPort: number;
  resyncMs: number;
  workers: number;
  backoffMaxMs: number;
  /** How long a new robot secret sits in the registry's policy file before pull secrets switch to it. */
  policyPropagationMs: number;
  /** How often a Repository's figures are re-read from its registry. */
  repositoryStatusIntervalMs: number;
  /** Registry base URLs by `namespace/name` (an operator outside the cluster cannot resolve Services). */
  registryUrls: Map<string, string>;
  /** Image of a Registry's managed PostgreSQL when its spec names none. */
  postgresImage: string;
  /** Node access (controllers/registry/node-access.ts): on when the agent's image is given. */
  nodeAccess?: { image: string; certsDir: string };
  logLevel: LogLevel;
}

const usage = `berth-operator [flags]
  --kubeconfig PATH              kubeconfig (default: $KUBECONFIG, then in-cluster)
  --namespace NS                 watch only NS (default: $BERTH_WATCH_NAMESPACE or all)
  --leader-elect=false           run without leader election (one replica only!)
  --leader-election-namespace NS namespace of the Lease (default: $POD_NAMESPACE or berth-system)
  --leader-election-id NAME      name of the Lease (default: berth-operator)
  --identity ID                  leader identity (default: hostname_pid)
  --lease-duration SECONDS       default 15
  --renew-deadline SECONDS       default 10
  --retry-period SECONDS         default 2
  --health-addr HOST:PORT        /healthz, /readyz, /metrics (default 0.0.0.0:8081; port 0 picks one)
  --resync SECONDS               full relist period of every informer (default 600)
  --workers N                    concurrent reconciles (default 2)
  --backoff-max SECONDS          longest retry delay after errors (default 300)
  --policy-propagation-delay SECONDS
                                 wait before pull secrets switch to a rotated credential: time for the
                                 kubelet to deliver the registry's policy file (default 120)
  --repository-status-interval SECONDS
                                 how often Repository status is re-read from the registry (default 60)
  --registry-url NS/NAME=URL     reach Registry NS/NAME's admin API at URL instead of its Service
                                 (repeatable; for an operator running outside the cluster)
  --postgres-image IMAGE         image of a Registry's managed PostgreSQL (metadata.managed) when
                                 its spec names none (default ${DEFAULT_POSTGRES_IMAGE})
  --node-access-image IMAGE      install containerd host configuration for each Registry on every node with a
                                 DaemonSet of IMAGE (the operator image); off when not given
  --node-certs-dir PATH          containerd's registry config_path on the nodes (default /etc/containerd/certs.d)
  --log-level LEVEL              debug|info|warn|error (default info)`;

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): OperatorOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      'leader-elect': { type: 'string', default: 'true' },
      'leader-election-namespace': { type: 'string' },
      'leader-election-id': { type: 'string', default: 'berth-operator' },
      identity: { type: 'string' },
      'lease-duration': { type: 'string', default: '15' },
      'renew-deadline': { type: 'string', default: '10' },
      'retry-period': { type: 'string', default: '2' },
      'health-addr': { type: 'string', default: '0.0.0.0:8081' },
      resync: { type: 'string', default: '600' },
      workers: { type: 'string', default: '2' },
      'backoff-max': { type: 'string', default: '300' },
      'policy-propagation-delay': { type: 'string', default: '120' },
      'repository-status-interval': { type: 'string', default: '60' },
      'registry-url': { type: 'string', multiple: true, default: [] },
      'postgres-image': { type: 'string', default: DEFAULT_POSTGRES_IMAGE },
      'node-access-image': { type: 'string' },
      'node-certs-dir': { type: 'string', default: '/etc/containerd/certs.d' },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(usage + '\n');
    process.exit(0);
  }
  const num = (flag: string, v: string | undefined, min: number) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${flag}: expected a number >= ${min}, got "${v}"`);
    return n;
  };
  const [healthHost, healthPortText] = splitHostPort(values['health-addr']);
  const level = values['log-level'];
  if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new Error(`--log-level: unknown level "${level}"`);
  const opts: OperatorOptions = {
    kubeconfig: values.kubeconfig ?? env.KUBECONFIG,
    namespace: values.namespace ?? (env.BERTH_WATCH_NAMESPACE || undefined),
    leaderElect: values['leader-elect'] !== 'false',
    leaseNamespace: values['leader-election-namespace'] ?? env.POD_NAMESPACE ?? 'berth-system',
    leaseName: values['leader-election-id'],
    identity: values.identity ?? `${hostname()}_${process.pid}`,
    leaseDurationMs: num('lease-duration', values['lease-duration'], 1) * 1000,
    renewDeadlineMs: num('renew-deadline', values['renew-deadline'], 1) * 1000,
    retryPeriodMs: num('retry-period', values['retry-period'], 0.1) * 1000,
    healthHost,
    healthPort: num('health-addr', healthPortText, 0),
    resyncMs: num('resync', values.resync, 1) * 1000,
    workers: num('workers', values.workers, 1),
    backoffMaxMs: num('backoff-max', values['backoff-max'], 0.01) * 1000,
    policyPropagationMs: num('policy-propagation-delay', values['policy-propagation-delay'], 0) * 1000,
    repositoryStatusIntervalMs: num('repository-status-interval', values['repository-status-interval'], 0.1) * 1000,
    registryUrls: new Map((values['registry-url'] ?? []).map(registryUrl)),
    postgresImage: nonEmpty('postgres-image', values['postgres-image']),
    ...(values['node-access-image'] ? { nodeAccess: { image: values['node-access-image'], certsDir: absolutePath('node-certs-dir', values['node-certs-dir']) } } : {}),
    logLevel: level as LogLevel,
  };
  // client-go's invariants: otherwise a leader could lose the lease while still acting.
  if (!(opts.leaseDurationMs > opts.renewDeadlineMs && opts.renewDeadlineMs > opts.retryPeriodMs)) {
    throw new Error('leader election needs lease-duration > renew-deadline > retry-period');
  }
  return opts;
}

function nonEmpty(flag: string, value: string | undefined): string {
  if (!value?.trim()) throw new Error(`--${flag}: expected a value`);
  return value.trim();
}

function registryUrl(flag: string): [string, string] {
  const m = /^([a-z0-9-]+\/[a-z0-9.-]+)=(https?:\/\/.+)$/.exec(flag);
  if (!m) throw new Error(`--registry-url: expected NAMESPACE/NAME=http(s)://HOST:PORT, got "${flag}"`);
  return [m[1], m[2]];
}

function absolutePath(flag: string, path: string): string {
  if (!path.startsWith('/')) throw new Error(`--${flag}: expected an absolute path, got "${path}"`);
  return path;
}

function splitHostPort(addr: string): [string, string] {
  const i = addr.lastIndexOf(':');
  if (i < 0) throw new Error(`--health-addr: expected HOST:PORT, got "${addr}"`);
  return [addr.slice(0, i) || '0.0.0.0', addr.slice(i + 1)];
}
