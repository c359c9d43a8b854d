// The kubelet's image credential provider (KEP-4412): berth-credential-provider
// in the provider bin dir and the CredentialProviderConfig the operator renders
// for the Registry `identity` in namespace `wi-registry`
// (as examples/registry-workload-identity.yaml). The kubelet reads both once at
// start, and refuses to start when a configured provider's binary is missing, so
// they are in place before any Registry exists; test/node/workload-identity
// checks that the operator's ConfigMap holds exactly this content.
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { Registry } from '../../../operator/src/api/types.js';
import { credentialProviderConfig, CREDENTIAL_PROVIDER_NAME } from '../../../operator/src/controllers/registry/federation.js';

/** The Registry the node's kubelet sends ServiceAccount tokens to. */
export const IDENTITY_REGISTRY = { name: 'identity', namespace: 'wi-registry' } as const;
/** Where installCredentialProvider put the config under the kubelet's dir. */
export const providerConfigPath = (kubeletDir: string) => join(kubeletDir, 'credential-provider-config.yaml');

export interface CredentialProviderFiles {
  config: string;
  binDir: string;
}

/** The config as the operator renders it into `<registry>-credential-provider` (same dump options). */
export function identityProviderConfigYaml(): string {
  const reg = { apiVersion: 'berth.dev/v1alpha1', kind: 'Registry', metadata: { ...IDENTITY_REGISTRY }, spec: { auth: { federation: { cluster: {} } } } } as unknown as Registry;
  return yaml.dump(credentialProviderConfig(reg), { lineWidth: -1 });
}

/** Writes the config and copies the provider (built by scripts/testbed/build.sh) under `dir`. */
export function installCredentialProvider(dir: string, toolsBinDir: string): CredentialProviderFiles {
  const source = join(toolsBinDir, CREDENTIAL_PROVIDER_NAME);
  if (!existsSync(source)) throw new Error(`${source} is missing: run scripts/testbed/build.sh ${CREDENTIAL_PROVIDER_NAME}`);
  const binDir = join(dir, 'credential-providers');
  mkdirSync(binDir, { recursive: true });
  copyFileSync(source, join(binDir, CREDENTIAL_PROVIDER_NAME));
  const config = providerConfigPath(dir);
  writeFileSync(config, identityProviderConfigYaml());
  return { config, binDir };
}
