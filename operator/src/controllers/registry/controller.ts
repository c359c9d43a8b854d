// Wires the Registry reconciler. A Registry is looked at again when it changes,
// when an object it owns changes (a deleted or edited child is repaired), and
// when one of its Repositories changes (their settings are part of its config).
import { API_VERSION, type Registry, type Repository } from '../../api/types.js';
import type { KubeObject } from '../../kube/types.js';
import { Controller, ownerKeys, ownKey, type Cache, type ControllerSettings, type Watch } from '../../runtime/controller.js';
import type { ControllerDeps } from '../deps.js';
import { OWNED_KINDS } from './desired.js';
import type { RegistryDefaults } from './inputs.js';
import { MANAGED_BY } from './names.js';
import { registryReconciler } from './reconcile.js';

type OwnedCaches = { [R in keyof typeof OWNED_KINDS]: Cache<KubeObject> };

export interface RegistryCaches extends OwnedCaches {
  registries: Cache<Registry>;
  repositories: Cache<Repository>;
}

function ownedWatches(): { [R in keyof typeof OWNED_KINDS]: Watch<KubeObject, RegistryCaches> } {
  const toKeys = ownerKeys(API_VERSION, 'Registry');
  const labelSelector = `app.kubernetes.io/managed-by=${MANAGED_BY}`;
  const entries = Object.entries(OWNED_KINDS).map(([role, kind]) => [role, { ...kind, labelSelector, toKeys }]);
  return Object.fromEntries(entries) as { [R in keyof typeof OWNED_KINDS]: Watch<KubeObject, RegistryCaches> };
}

export function registryController({ client, events, log, metrics }: ControllerDeps, settings: ControllerSettings & { defaults: RegistryDefaults; registryUrls?: ReadonlyMap<string, string> }): Controller<RegistryCaches> {
  const { defaults, registryUrls, ...runtime } = settings;
  return new Controller<RegistryCaches>(client, {
    ...runtime,
    name: 'registry',
    watches: {
      registries: { apiVersion: API_VERSION, kind: 'Registry', toKeys: ownKey },
      ...ownedWatches(),
      repositories: { apiVersion: API_VERSION, kind: 'Repository', toKeys: (r) => [`${r.metadata.namespace}/${r.spec.registryRef.name}`] },
    },
  }, (caches) => registryReconciler({ client, events, repositories: caches.repositories, defaults, registryUrls }), log, metrics);
}
