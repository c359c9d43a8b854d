// Registry objects for unit tests, with the CRD defaults already applied (as the
// API server would hand them to the reconciler).
import type { Registry, RegistrySpec } from '../../api/types.js';

export function registry(spec: Partial<RegistrySpec> = {}, name = 'main', namespace = 'team'): Registry {
  return {
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'Registry',
    metadata: { name, namespace, uid: 'uid-1234', generation: 1, resourceVersion: '1' },
    spec: {
      replicas: 1,
      image: 'ghcr.io/berth-dev/berth-registry:v0.1.0',
      storage: { filesystem: { persistentVolumeClaim: { size: '10Gi', accessModes: ['ReadWriteOnce'] } } },
      service: { type: 'ClusterIP', port: 5000 },
      auth: { enabled: true, tokenTTL: '5m', signingKeyRotationPeriod: '720h' },
      gc: { enabled: true, interval: '24h', gracePeriod: '1h' },
      uploads: { purgeInterval: '1h', purgeAfter: '24h' },
      ...spec,
    },
  };
}
