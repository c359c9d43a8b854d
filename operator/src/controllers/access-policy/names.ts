// Names, labels and annotations of everything the AccessPolicy reconciler writes.
// Labels are how it finds its pull secrets again in every namespace (owner
// references cannot cross namespaces), so they live in one place.
import type { AccessPolicy } from '../../api/types.js';
import { MANAGED_BY } from '../registry/names.js';

export const FINALIZER = 'berth.dev/access-policy-cleanup';
/** On every pull secret: the UID of the AccessPolicy it belongs to (the watch selector). */
export const POLICY_UID_LABEL = 'berth.dev/access-policy-uid';
/** On every pull secret: the AccessPolicy's "namespace/name", to map events back to it. */
export const POLICY_ANNOTATION = 'berth.dev/access-policy';
/** Set to any new value on an AccessPolicy to rotate its credentials now. */
export const ROTATE_ANNOTATION = 'berth.dev/rotate';
export const DEFAULT_SECRET_NAME = 'berth-pull-secret';
export const DEFAULT_ROTATION_PERIOD = '24h';
export const DEFAULT_OVERLAP = '1h';
/**
 * Key of the operator's rotation state in the `<registry>-policy` Secret and in each robot
 * shard (next to the file the registry reads), gzip'd: a Secret is capped at 1 MiB.
 */
export const STATE_KEY = 'state.json.gz';

export function policyKey(p: AccessPolicy): string {
  return `${p.metadata.namespace}/${p.metadata.name}`;
}

/**
 * The robot account of one policy in one namespace. Policies live next to their
 * Registry, so the policy name and the target namespace identify the robot; '/'
 * appears in neither, so the name parses back unambiguously.
 */
export function robotName(policyName: string, namespace: string): string {
  return `${robotPrefix(policyName)}${namespace}`;
}

/** What every robot of one policy's name starts with: its rule grants them by this prefix. */
export function robotPrefix(policyName: string): string {
  return `ap/${policyName}/`;
}

/** The field manager that owns this policy's entries in ServiceAccount imagePullSecrets. */
export function serviceAccountFieldManager(p: AccessPolicy): string {
  return `berth-operator/accesspolicy/${p.metadata.name}`.slice(0, 128);
}

/** credentials: pullSecret (the default): a robot credential in a Secret per selected namespace. */
export function wantsPullSecrets(p: AccessPolicy): boolean {
  return (p.spec.credentials ?? ['pullSecret']).includes('pullSecret');
}

/** credentials: serviceAccountToken: the selected ServiceAccounts pull with their own tokens. */
export function wantsServiceAccountTokens(p: AccessPolicy): boolean {
  return (p.spec.credentials ?? []).includes('serviceAccountToken');
}

export function secretName(p: AccessPolicy): string {
  return p.spec.secretName ?? DEFAULT_SECRET_NAME;
}

/** Labels that make a pull secret recognisable (and watchable) as ours. */
export function pullSecretLabels(p: AccessPolicy): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'berth-pull-secret',
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'berth.dev/registry': p.spec.registryRef.name,
    [POLICY_UID_LABEL]: p.metadata.uid!,
  };
}
