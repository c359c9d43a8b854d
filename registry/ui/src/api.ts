// The browsing API (/api/v1) from the page: the access token when there is one,
// a refresh from the session cookie when it expired, and the registry's error
// body turned into an Error with its code.
import { accessToken, resume } from './session';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** Counts calls per page view (the artifact page's budget is four). */
export const calls = { count: 0 };

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  calls.count++;
  const send = () => {
    const token = accessToken();
    const headers = new Headers(init.headers);
    if (token) headers.set('Authorization', `Bearer ${token}`);
    return fetch(`/api/v1${path}`, { ...init, headers });
  };
  let res = await send();
  if (res.status === 401) {
    await resume();
    res = await send();
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { errors?: Array<{ code: string; message: string }> };
    const e = body.errors?.[0];
    throw new ApiError(res.status, e?.code ?? 'UNKNOWN', e?.message ?? res.statusText);
  }
  return (await res.json()) as T;
}

export const enc = (name: string) => name.split('/').map(encodeURIComponent).join('/');

export interface Page<T> { items: T[]; next?: string }
