// The operator process: health/metrics server, leader election, the Registry
// controller, and a graceful shutdown on SIGTERM (finish in-flight reconciles,
// then release the lease so a standby takes over at once).
import { KubeConfig } from '@kubernetes/client-node';
import { API_VERSION, type Repository } from './api/types.js';
import { registryReconciler } from './controllers/registry/reconcile.js';
import { accessPolicyController } from './controllers/access-policy/controller.js';
import { repositoryController } from './controllers/repository/controller.js';
import { OWNED_KINDS } from './controllers/registry/desired.js';
import { MANAGED_BY } from './controllers/registry/names.js';
import { KubeClient } from './kube/client.js';
import { parseOptions } from './options.js';
import { Controller, ownerKeys } from './runtime/controller.js';
import { EventRecorder } from './runtime/events.js';
import { boundPort, startHealthServer } from './runtime/health-server.js';
import { LeaderElector } from './runtime/leader-election.js';
import { createLogger } from './runtime/logger.js';
import { OperatorMetrics } from './runtime/metrics.js';

const SHUTDOWN_TIMEOUT_MS = 20_000;

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const log = createLogger(opts.logLevel, { component: 'berth-operator', identity: opts.identity });
  const kc = new KubeConfig();
  if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromCluster();
  const client = new KubeClient(kc);
  const metrics = new OperatorMetrics();

  // The reconciler reads Repositories from this controller's cache (it watches them).
  const repositoriesCache = () => (controller.hasSynced() ? controller.cached(API_VERSION, 'Repository') as Repository[] : undefined);
  const controller: Controller = new Controller(client, {
    name: 'registry',
    primary: { apiVersion: API_VERSION, kind: 'Registry' },
    // Owned objects re-trigger their Registry, so a deleted or edited child is repaired.
    watches: [
      ...OWNED_KINDS.map((k) => ({ ...k, labelSelector: `app.kubernetes.io/managed-by=${MANAGED_BY}`, toKeys: ownerKeys(API_VERSION, 'Registry') })),
      // A Repository's settings are part of its Registry's config.
      { apiVersion: API_VERSION, kind: 'Repository', toKeys: (r) => [`${r.metadata.namespace}/${(r as Repository).spec.registryRef.name}`] },
    ],
    namespace: opts.namespace,
    resyncMs: opts.resyncMs,
    workers: opts.workers,
    backoff: { baseMs: 5, maxMs: opts.backoffMaxMs },
  }, registryReconciler({ client, events: new EventRecorder(client, 'berth-operator', log), repositories: repositoriesCache }), log, metrics);
  const accessPolicies = accessPolicyController(client, new EventRecorder(client, 'berth-operator', log), {
    namespace: opts.namespace, resyncMs: opts.resyncMs, workers: opts.workers, backoffMaxMs: opts.backoffMaxMs, propagationMs: opts.policyPropagationMs,
  }, log, metrics);
  const repositories = repositoryController(client, new EventRecorder(client, 'berth-operator', log), {
    namespace: opts.namespace, resyncMs: opts.resyncMs, workers: opts.workers, backoffMaxMs: opts.backoffMaxMs,
    statusIntervalMs: opts.repositoryStatusIntervalMs, registryUrls: opts.registryUrls,
  }, log, metrics);

  const elector = opts.leaderElect
    ? new LeaderElector(client, {
        namespace: opts.leaseNamespace,
        name: opts.leaseName,
        identity: opts.identity,
        leaseDurationMs: opts.leaseDurationMs,
        renewDeadlineMs: opts.renewDeadlineMs,
        retryPeriodMs: opts.retryPeriodMs,
      }, log)
    : undefined;

  let running = false;
  let lostLeadership = false;
  const server = await startHealthServer(opts.healthHost, opts.healthPort, {
    healthy: () => !lostLeadership,
    // A standby is ready (it is doing its job: waiting); the leader once its caches are synced.
    ready: () => !running || (controller.hasSynced() && accessPolicies.hasSynced() && repositories.hasSynced()),
  }, metrics.registry);
  log.info('health server listening', { port: boundPort(server), namespace: opts.namespace ?? '(all)' });

  const shutdown = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      log.info('shutting down', { signal: sig });
      shutdown.abort();
    });
  }

  if (elector && !(await elector.acquire(shutdown.signal))) {
    server.close();
    client.close();
    return;
  }
  metrics.leader.set(1);
  running = true;
  controller.start();
  accessPolicies.start();
  repositories.start();
  log.info('controller started', { controller: 'registry' });
  log.info('controller started', { controller: 'accesspolicy' });
  log.info('controller started', { controller: 'repository' });

  const hold = new AbortController();
  const holding = elector?.holdUntil(hold.signal).catch((err) => {
    // Another process may already be reconciling: stop at once rather than race it.
    lostLeadership = true;
    log.error('lost leadership; exiting', { error: String(err) });
    process.exit(1);
  });

  await new Promise<void>((resolve) => shutdown.signal.addEventListener('abort', () => resolve(), { once: true }));
  const forced = setTimeout(() => {
    log.error('shutdown timed out; exiting');
    process.exit(1);
  }, SHUTDOWN_TIMEOUT_MS);
  forced.unref();
  await Promise.all([controller.stop(), accessPolicies.stop(), repositories.stop()]);
  hold.abort();
  await holding;
  metrics.leader.set(0);
  server.close();
  client.close();
  log.info('stopped');
}

main().catch((err) => {
  process.stderr.write(`berth-operator: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
