// Runs berth-credential-provider as the kubelet does (request JSON on stdin,
// response JSON on stdout) and checks the response against the
// credentialprovider.kubelet.k8s.io/v1 CredentialProviderResponse schema.
import { z } from 'zod';
import { run, type RunResult } from './tools.js';

export const PROVIDER_API_VERSION = 'credentialprovider.kubelet.k8s.io/v1';

/** A Go metav1.Duration as the provider writes it (whole seconds). */
const duration = z.string().regex(/^\d+s$/);

export const credentialProviderResponseSchema = z.object({
  apiVersion: z.literal(PROVIDER_API_VERSION),
  kind: z.literal('CredentialProviderResponse'),
  cacheKeyType: z.enum(['Image', 'Registry', 'Global']),
  cacheDuration: duration.optional(),
  auth: z.record(z.string().min(1), z.object({ username: z.string(), password: z.string() }).strict()),
}).strict();

export type CredentialProviderResponse = z.output<typeof credentialProviderResponseSchema>;

/** The request the kubelet writes for a pod's image pull (KEP-4412, service account token mode). */
export function providerRequest(image: string, serviceAccountToken: string, annotations: Record<string, string> = {}): string {
  return JSON.stringify({ kind: 'CredentialProviderRequest', apiVersion: PROVIDER_API_VERSION, image, serviceAccountToken, serviceAccountAnnotations: annotations });
}

export function runProvider(stdin: string, args: string[] = []): Promise<RunResult> {
  return run('berth-credential-provider', args, { input: stdin, timeoutMs: 10_000 });
}

/** Runs the provider and returns its validated response; throws with its stderr otherwise. */
export async function providerResponse(stdin: string, args: string[] = []): Promise<CredentialProviderResponse> {
  const r = await runProvider(stdin, args);
  if (r.code !== 0) throw new Error(`berth-credential-provider exited ${r.code}: ${r.stderr}`);
  return credentialProviderResponseSchema.parse(JSON.parse(r.stdout));
}
