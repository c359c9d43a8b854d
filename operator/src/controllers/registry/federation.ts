// spec.auth.federation → the registry config's `auth.federation.issuers`, and what
// the cluster's own issuer needs around it: the tokens' audience, the registry
// pods' ServiceAccount (its token is how the registry reads the JWKS and asks for
// TokenReviews), and the kubelet's CredentialProviderConfig. Pure.
import yaml from 'js-yaml';
import type { z } from 'zod';
import type { federationIssuerSchema } from '#contract/config/federation.js';
import type { ClusterIssuerSpec, Registry } from '../../api/types.js';
import type { KubeObject } from '../../kube/types.js';
import { ownedLabels, ownerReference, registryNames, serviceHost, serviceImageHosts } from './names.js';

type IssuerConfig = z.input<typeof federationIssuerSchema>;

/** The issuer name AccessPolicy grants use for the cluster's ServiceAccounts. */
export const CLUSTER_ISSUER = 'cluster';
/** Where the kubelet mounts a pod's ServiceAccount token and the cluster CA. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
export const DEFAULT_API_SERVER = 'https://kubernetes.default.svc';
/** The provider's executable name in the kubelet's provider directory (credential-provider/). */
export const CREDENTIAL_PROVIDER_NAME = 'berth-credential-provider';
/** Key of the kubelet configuration in the `<registry>-credential-provider` ConfigMap. */
export const CREDENTIAL_PROVIDER_CONFIG_KEY = 'credential-provider-config.yaml';
/** Where a CI issuer's CA bundle (from its ConfigMap) is mounted. */
export const issuerCaDir = (name: string) => `/etc/berth/federation/${name}`;

/** The cluster issuer's settings, when the Registry accepts ServiceAccount tokens (auth on and spec.auth.federation.cluster set). */
export function clusterIssuer(reg: Registry): ClusterIssuerSpec | undefined {
  if (!(reg.spec.auth?.enabled ?? true)) return undefined;
  return reg.spec.auth?.federation?.cluster;
}

/** The audience pods' tokens carry: the kubelet's serviceAccountTokenAudience and the RBAC resource nodes are granted. */
export function clusterAudience(reg: Registry): string {
  return reg.spec.auth?.federation?.cluster?.audience ?? serviceHost(reg);
}

/** Whether the registry asks the API server (TokenReview), so its ServiceAccount must be bound to system:auth-delegator. */
export function needsTokenReview(reg: Registry): boolean {
  const cluster = clusterIssuer(reg);
  return !!cluster && (cluster.verify ?? 'both') !== 'jwks';
}

/**
 * `auth.federation` of the registry config. `clusterIssuerUrl` is the cluster's `iss`
 * (spec or discovery), required when the cluster issuer is on.
 */
export function federationConfig(reg: Registry, clusterIssuerUrl: string | undefined): { issuers: IssuerConfig[] } {
  const issuers: IssuerConfig[] = [];
  const cluster = clusterIssuer(reg);
  if (cluster) {
    if (!clusterIssuerUrl) throw new Error('federationConfig: the cluster issuer URL is unknown');
    const apiServer = (cluster.apiServer ?? DEFAULT_API_SERVER).replace(/\/+$/, '');
    const verify = cluster.verify ?? 'both';
    issuers.push({
      name: CLUSTER_ISSUER,
      type: 'kubernetes',
      issuer: clusterIssuerUrl,
      audiences: [clusterAudience(reg)],
      verify,
      caFile: `${SERVICE_ACCOUNT_DIR}/ca.crt`,
      tokenFile: `${SERVICE_ACCOUNT_DIR}/token`,
      // The discovery document's jwks_uri names the issuer's host, often unreachable from pods.
      jwksURI: `${apiServer}/openid/v1/jwks`,
      ...(verify !== 'jwks' ? { apiServer } : {}),
    });
  }
  if (reg.spec.auth?.enabled ?? true) {
    for (const i of reg.spec.auth?.federation?.issuers ?? []) {
      issuers.push({
        name: i.name,
        type: i.type ?? 'oidc',
        issuer: i.issuer,
        audiences: i.audiences,
        ...(i.jwksURI ? { jwksURI: i.jwksURI } : {}),
        ...(i.subjectClaim ? { subjectClaim: i.subjectClaim } : {}),
        ...(i.requiredClaims?.length ? { requiredClaims: i.requiredClaims } : {}),
        ...(i.caConfigMapRef ? { caFile: `${issuerCaDir(i.name)}/ca.crt` } : {}),
      });
    }
  }
  return { issuers };
}

/** The pod volumes of the CI issuers' CA bundles. */
export function issuerCaVolumes(reg: Registry): Array<{ volume: Record<string, unknown>; mount: Record<string, unknown> }> {
  if (!(reg.spec.auth?.enabled ?? true)) return [];
  return (reg.spec.auth?.federation?.issuers ?? []).filter((i) => i.caConfigMapRef).map((i, n) => {
    const name = `issuer-ca-${n}`;
    const ref = i.caConfigMapRef!;
    return {
      volume: { name, configMap: { name: ref.name, items: [{ key: ref.key ?? 'ca.crt', path: 'ca.crt' }] } },
      mount: { name, mountPath: issuerCaDir(i.name), readOnly: true },
    };
  });
}

/** The kubelet's CredentialProviderConfig for this Registry: the images it serves go to berth-credential-provider with a token for its audience. */
export function credentialProviderConfig(reg: Registry): Record<string, unknown> {
  const cluster = clusterIssuer(reg) ?? {};
  return {
    apiVersion: 'kubelet.config.k8s.io/v1',
    kind: 'CredentialProviderConfig',
    providers: [{
      name: CREDENTIAL_PROVIDER_NAME,
      apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
      matchImages: [...new Set([...serviceImageHosts(reg), ...(cluster.additionalHosts ?? [])])],
      defaultCacheDuration: '10m',
      // cacheType Token: the credential is the token itself, so the kubelet caches it per token.
      tokenAttributes: { serviceAccountTokenAudience: clusterAudience(reg), cacheType: 'Token', requireServiceAccount: true },
    }],
  };
}

/** The objects the cluster issuer adds to a Registry's namespace: the pods' ServiceAccount and the kubelet configuration. */
export function clusterIssuerObjects(reg: Registry): KubeObject[] {
  if (!clusterIssuer(reg)) return [];
  const names = registryNames(reg.metadata.name);
  const meta = (name: string) => ({ name, namespace: reg.metadata.namespace, labels: ownedLabels(reg, 'berth-registry'), ownerReferences: [ownerReference(reg)] });
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(names.serviceAccount) },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(names.credentialProvider),
      data: { [CREDENTIAL_PROVIDER_CONFIG_KEY]: yaml.dump(credentialProviderConfig(reg), { lineWidth: -1 }) },
    },
  ];
}
