// The operator process: health/metrics server, leader election, the Registry,
// AccessPolicy and Repository controllers, and a graceful shutdown on SIGTERM
// (finish in-flight reconciles, then release the lease so a standby takes over at once).
import { KubeConfig } from '@kubernetes/client-node';
import { accessPolicyController } from './controllers/access-policy/controller.js';
import { registryController } from './controllers/registry/controller.js';
import { repositoryController } from './controllers/repository/controller.js';
import { KubeClient } from './kube/client.js';
import { parseOptions } from './options.js';
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

  const deps = { client, events: new EventRecorder(client, 'berth-operator', log), log, metrics };
  const settings = { namespace: opts.namespace, resyncMs: opts.resyncMs, workers: opts.workers, backoffMaxMs: opts.backoffMaxMs };
  const controllers = [
    registryController(deps, { ...settings, defaults: { postgresImage: opts.postgresImage, nodeAccess: opts.nodeAccess }, registryUrls: opts.registryUrls }),
    accessPolicyController(deps, { ...settings, propagationMs: opts.policyPropagationMs }),
    repositoryController(deps, { ...settings, statusIntervalMs: opts.repositoryStatusIntervalMs, registryUrls: opts.registryUrls }),
  ];

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
    ready: () => !running || controllers.every((c) => c.hasSynced()),
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
  for (const c of controllers) {
    c.start();
    log.info('controller started', { controller: c.name });
  }

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
  await Promise.all(controllers.map((c) => c.stop()));
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
