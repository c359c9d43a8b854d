// Per-namespace failures as status reports them: a reason and a short message,
// taken from the API error (the API server redacts Secret data in its errors).
import { KubeApiError } from '../../kube/errors.js';

export interface Failure {
  namespace: string;
  reason: string;
  message?: string;
}

export function describeError(err: unknown): { reason: string; message: string } {
  if (err instanceof KubeApiError) return { reason: err.reason || `HTTP${err.status}`, message: `HTTP ${err.status}: ${err.message}`.slice(0, 300) };
  const e = err as Error;
  return { reason: e?.name ?? 'Error', message: String(e?.message ?? err).slice(0, 300) };
}
