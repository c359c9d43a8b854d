// Whether each upstream answers, for GET /admin/upstreams and the operator's
// UpstreamsReachable condition. An upstream whose circuit is open is reported
// unreachable without being asked again (the circuit says it failed moments ago);
// any other is asked `GET /v2/` without credentials, where any answer below 500
// but 429 (a 401 challenge included) means it is there.
import { RemoteError } from '../remote/registry-client.js';
import type { Upstream } from './upstream.js';

export interface UpstreamReachability {
  readonly host: string;
  readonly url: string;
  readonly reachable: boolean;
  /** Why not, or the status it answered. */
  readonly detail: string;
}

export async function reachability(u: Upstream): Promise<UpstreamReachability> {
  const base = { host: u.host, url: u.config.url };
  if (u.circuit.isOpen) {
    const status = u.circuit.lastStatus;
    return { ...base, reachable: false, detail: `failing (circuit open${status ? ` after HTTP ${status}` : ''}); asked again in ${u.circuit.retryAfterSeconds()}s` };
  }
  try {
    const status = await u.client.probe();
    const reachable = status < 500 && status !== 429;
    return { ...base, reachable, detail: `GET /v2/ answered ${status}` };
  } catch (err) {
    return { ...base, reachable: false, detail: err instanceof RemoteError ? err.message : String(err) };
  }
}
