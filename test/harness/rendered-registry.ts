// A real registry process started from exactly the config an operator rendered for
// a Registry, as its pod would run it, minus the kubelet: the signing keys and a CI
// issuer's CA are copied from their Secret and ConfigMap to files, the policy file
// follows the policy Secret through a watch (the kubelet's Secret volume, with no
// sync period), the pod's ServiceAccount token comes from TokenRequest, and the
// in-cluster API server name (kubernetes.default.svc) becomes the test bed's
// address. Nothing else in the config changes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { KubeClient } from '../../operator/src/kube/client.js';
import type { KubeObject, SecretObject } from '../../operator/src/kube/types.js';
import { Informer } from '../../operator/src/runtime/informer.js';
import { createLogger } from '../../operator/src/runtime/logger.js';
import { freePort, startRegistryProcess, type RegistryProcess } from './registry-process.js';
import { POLICY_SECRET_COMPONENT } from '../../operator/src/controllers/access-policy/policy-secret.js';
import { mountedFiles, policySecrets, ProjectedDir, relocate } from './policy-volume.js';

type Any = Record<string, any>;

export const IN_CLUSTER_API = 'https://kubernetes.default.svc';
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface RenderedRegistryOptions {
  client: KubeClient;
  namespace: string;
  /** The Registry's name. */
  name: string;
  dir: string;
  /** The test bed's API server and the CA file that signed its certificate. */
  apiServer: string;
  caFile: string;
}

export interface RenderedRegistry {
  readonly process: RegistryProcess;
  /** The config as the operator rendered it (before any path was rewritten). */
  readonly rendered: Any;
  /** The cluster issuer's audience, when the Registry trusts the cluster's tokens. */
  readonly audience?: string;
  /** When the policy file last changed on disk (performance.now()). */
  lastPolicyWrite(): number;
  stop(): Promise<void>;
}

const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

export async function startRenderedRegistry(o: RenderedRegistryOptions): Promise<RenderedRegistry> {
  const { client, namespace, name, dir } = o;
  const cm = await client.get<KubeObject & { data: Record<string, string> }>('v1', 'ConfigMap', `${name}-config`, namespace);
  const rendered = yaml.load(cm.data['config.yaml']) as Any;
  const config = structuredClone(rendered);
  mkdirSync(join(dir, 'keys'), { recursive: true });
  mkdirSync(join(dir, 'policy'), { recursive: true });

  const keys = await client.get<SecretObject>('v1', 'Secret', `${name}-signing-keys`, namespace);
  for (const k of config.auth.signingKeys) {
    k.privateKeyFile = join(dir, 'keys', `${k.kid}.pem`);
    writeFileSync(k.privateKeyFile, b64(keys.data![`${k.kid}.pem`]));
  }
  config.storage = { filesystem: { root: join(dir, 'data') } };

  const deployment = await client.get<KubeObject & Any>('apps/v1', 'Deployment', name, namespace);
  const pod = deployment.spec.template.spec;
  const mounts = new Map<string, Any>(pod.containers[0].volumeMounts.map((m: Any) => [m.mountPath, m]));
  const volumes = new Map<string, Any>(pod.volumes.map((v: Any) => [v.name, v]));
  for (const issuer of config.auth.federation?.issuers ?? []) {
    if (issuer.tokenFile === `${SERVICE_ACCOUNT_DIR}/token`) {
      // The pod's own token, for the ServiceAccount the pod runs as.
      const token = await client.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${pod.serviceAccountName}/token`, {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
      });
      issuer.tokenFile = join(dir, 'serviceaccount-token');
      writeFileSync(issuer.tokenFile, token.status.token);
      issuer.caFile = o.caFile;
      for (const key of ['apiServer', 'jwksURI']) if (issuer[key]) issuer[key] = issuer[key].replace(IN_CLUSTER_API, o.apiServer);
    } else if (issuer.caFile) {
      // A CI issuer's CA, from the ConfigMap the pod mounts at its directory.
      const mountPath = issuer.caFile.slice(0, issuer.caFile.lastIndexOf('/'));
      const volume = volumes.get(mounts.get(mountPath)!.name)!;
      const source = await client.get<KubeObject & { data: Record<string, string> }>('v1', 'ConfigMap', volume.configMap.name, namespace);
      issuer.caFile = join(dir, `${issuer.name}-ca.crt`);
      writeFileSync(issuer.caFile, source.data[volume.configMap.items[0].key]);
    }
  }

  const policyDir = new ProjectedDir(join(dir, 'policy'));
  relocate(config.auth, join(dir, 'policy'));
  policyDir.write({ 'policy.yaml': '{}\n' });
  let lastWrite = performance.now();
  // Any change of the policy Secret or a robot shard: the kubelet projects them all again.
  // One read at a time, in order, so an older read never lands after a newer one.
  let reads = Promise.resolve();
  const watch = new Informer(client, { apiVersion: 'v1', kind: 'Secret', namespace, labelSelector: `app.kubernetes.io/name=${POLICY_SECRET_COMPONENT}`, resyncMs: 3600_000 }, () => {
    reads = reads.then(async () => {
      const files = mountedFiles(await policySecrets(client, name, namespace));
      if (files['policy.yaml'] && policyDir.write(files)) lastWrite = performance.now();
    }).catch(() => undefined);
  }, createLogger('error'));
  watch.start();

  const process = await startRegistryProcess({ config, port: await freePort(), dir });
  const cluster = config.auth.federation?.issuers?.find((i: Any) => i.type === 'kubernetes');
  return {
    process,
    rendered,
    audience: cluster?.audiences[0],
    lastPolicyWrite: () => lastWrite,
    async stop() {
      await watch.stop();
      await process.stop();
    },
  };
}
