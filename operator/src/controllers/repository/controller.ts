// Wires the Repository reconciler: a Repository is looked at again when it
// changes, when its Registry changes (config rendered, status, deletion), and
// every status interval (figures change with pushes, which no watch reports).
import { API_VERSION, type Registry, type Repository } from '../../api/types.js';
import { objectKey } from '../../kube/types.js';
import { Controller, ownKey, type Cache, type ControllerSettings } from '../../runtime/controller.js';
import type { ControllerDeps } from '../deps.js';
import { repositoryReconciler } from './reconcile.js';

export interface RepositoryCaches {
  repositories: Cache<Repository>;
  registries: Cache<Registry>;
}

export interface RepositoryControllerSettings extends ControllerSettings {
  statusIntervalMs: number;
  registryUrls: ReadonlyMap<string, string>;
}

export function repositoryController({ client, events, log, metrics }: ControllerDeps, settings: RepositoryControllerSettings): Controller<RepositoryCaches> {
  const { statusIntervalMs, registryUrls, ...runtime } = settings;
  return new Controller<RepositoryCaches>(client, {
    ...runtime,
    name: 'repository',
    watches: {
      repositories: { apiVersion: API_VERSION, kind: 'Repository', toKeys: ownKey },
      registries: {
        apiVersion: API_VERSION, kind: 'Registry',
        toKeys: (reg, caches) => caches.repositories.list()
          .filter((r) => r.metadata.namespace === reg.metadata.namespace && r.spec.registryRef.name === reg.metadata.name)
          .map(objectKey),
      },
    },
  }, () => repositoryReconciler({ client, events, statusIntervalMs, registryUrls }), log, metrics);
}
