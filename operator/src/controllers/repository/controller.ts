// Wires the Repository reconciler: a Repository is looked at again when it
// changes, when its Registry changes (config rendered, status, deletion), and
// every status interval (figures change with pushes, which no watch reports).
import { API_VERSION, type Repository } from '../../api/types.js';
import type { KubeClient } from '../../kube/client.js';
import { objectKey } from '../../kube/types.js';
import { Controller } from '../../runtime/controller.js';
import type { EventRecorder } from '../../runtime/events.js';
import type { Logger } from '../../runtime/logger.js';
import type { OperatorMetrics } from '../../runtime/metrics.js';
import { repositoryReconciler } from './reconcile.js';

export interface RepositoryControllerOptions {
  namespace?: string;
  resyncMs: number;
  workers: number;
  backoffMaxMs: number;
  statusIntervalMs: number;
  registryUrls: ReadonlyMap<string, string>;
}

export function repositoryController(client: KubeClient, events: EventRecorder, opts: RepositoryControllerOptions, log: Logger, metrics: OperatorMetrics): Controller {
  let controller: Controller | undefined;
  const repositoriesOf = (namespace: string | undefined, registry: string) =>
    ((controller?.cached(API_VERSION, 'Repository') ?? []) as Repository[])
      .filter((r) => r.metadata.namespace === namespace && r.spec.registryRef.name === registry)
      .map(objectKey);
  controller = new Controller(client, {
    name: 'repository',
    primary: { apiVersion: API_VERSION, kind: 'Repository' },
    watches: [{ apiVersion: API_VERSION, kind: 'Registry', toKeys: (reg) => repositoriesOf(reg.metadata.namespace, reg.metadata.name) }],
    namespace: opts.namespace,
    resyncMs: opts.resyncMs,
    workers: opts.workers,
    backoff: { baseMs: 5, maxMs: opts.backoffMaxMs },
  }, repositoryReconciler({ client, events, statusIntervalMs: opts.statusIntervalMs, registryUrls: opts.registryUrls }), log, metrics);
  return controller;
}
