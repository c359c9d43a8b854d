// ServiceAccounts, pods and their tokens on a test-bed API server, through
// @kubernetes/client-node: what a kubelet and a cluster admin would do, minus the
// node. Pods are never scheduled (there is no kubelet), so they stay Pending,
// which is all a pod-bound token needs.
import { AuthenticationV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';

export class ServiceAccounts {
  readonly core: CoreV1Api;
  readonly rbac: RbacAuthorizationV1Api;
  readonly authn: AuthenticationV1Api;

  constructor(kubeconfig: string) {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    this.core = kc.makeApiClient(CoreV1Api);
    this.rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    this.authn = kc.makeApiClient(AuthenticationV1Api);
  }

  async namespace(name: string): Promise<void> {
    await this.core.createNamespace({ body: { metadata: { name } } });
  }

  /** Creates the ServiceAccount and returns its uid. */
  async create(namespace: string, name: string): Promise<string> {
    const sa = await this.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
    return sa.metadata!.uid!;
  }

  async delete(namespace: string, name: string): Promise<void> {
    await this.core.deleteNamespacedServiceAccount({ namespace, name });
  }

  /** A pod running as the ServiceAccount; it stays Pending. Returns its uid. */
  async pod(namespace: string, name: string, serviceAccount: string, image: string): Promise<string> {
    const pod = await this.core.createNamespacedPod({
      namespace,
      body: { metadata: { name }, spec: { serviceAccountName: serviceAccount, containers: [{ name: 'app', image }] } },
    });
    return pod.metadata!.uid!;
  }

  async deletePod(namespace: string, name: string): Promise<void> {
    await this.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 });
  }

  /** TokenRequest: a token for `audience`, bound to the pod when one is named (as the kubelet asks). */
  async token(namespace: string, serviceAccount: string, audience: string | undefined, pod?: { name: string; uid: string }, expirationSeconds = 600): Promise<string> {
    const tr = await this.core.createNamespacedServiceAccountToken({
      namespace,
      name: serviceAccount,
      body: {
        spec: {
          audiences: audience ? [audience] : [],
          expirationSeconds,
          ...(pod ? { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.name, uid: pod.uid } } : {}),
        },
      },
    });
    return tr.status!.token;
  }

  async bindClusterRole(name: string, clusterRole: string, namespace: string, serviceAccount: string): Promise<void> {
    await this.rbac.createClusterRoleBinding({
      body: {
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
        subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace }],
      },
    });
  }
}
