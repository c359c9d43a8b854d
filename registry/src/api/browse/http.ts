// What every browsing-API handler shares: who is asking (identify, never a
// required scope: what the caller cannot pull simply does not exist for it),
// query parameters checked into RegistryErrors, and JSON answers with a strong
// ETag so a page polled again costs a 304.
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Grant } from '../../auth/access.js';
import { Code, RegistryError } from '../../errors.js';
import type { Services } from '../handlers/context.js';

export const API_PREFIX = '/api/v1';

export async function viewerOf(services: Services, req: Request, res: Response): Promise<Grant> {
  const grant = await services.access.identify(req);
  res.locals.subject = grant.subject;
  return grant;
}

export function queryOf(req: Request): URLSearchParams {
  const raw = req.originalUrl;
  const q = raw.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
}

/** A non-empty string parameter, or undefined. */
export function text(query: URLSearchParams, name: string, maxLength = 256): string | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  if (v.length > maxLength) throw new RegistryError(Code.PARAMETER_INVALID, { [name]: `${v.slice(0, 32)}...`, reason: `longer than ${maxLength} characters` }, {}, `invalid ${name}`);
  return v;
}

export function oneOf<T extends string>(query: URLSearchParams, name: string, allowed: readonly T[]): T | undefined {
  const v = text(query, name);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new RegistryError(Code.PARAMETER_INVALID, { [name]: v, allowed }, {}, `invalid ${name}`);
  return v as T;
}

/** A page size: PAGINATION_NUMBER_INVALID unless an integer in [1, max]. */
export function limitOf(query: URLSearchParams, max: number): number | undefined {
  const v = query.get('limit');
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) throw new RegistryError(Code.PAGINATION_NUMBER_INVALID, { limit: v, max });
  return Number(v);
}

/** Milliseconds since the epoch from an ISO time or a number. */
export function timeOf(query: URLSearchParams, name: string): number | undefined {
  const v = text(query, name, 64);
  if (v === undefined) return undefined;
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(t)) throw new RegistryError(Code.PARAMETER_INVALID, { [name]: v, reason: 'expected an ISO 8601 time or milliseconds since the epoch' }, {}, `invalid ${name}`);
  return t;
}

/**
 * Sends `body` as JSON with a strong ETag over its bytes; 304 when the client's
 * If-None-Match names it. Answers depend on the caller, so caches keep them private.
 */
export function sendJson(req: Request, res: Response, body: unknown, status = 200): void {
  const bytes = Buffer.from(JSON.stringify(body));
  const etag = `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 32)}"`;
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', 'private, no-cache');
  res.setHeader('Vary', 'Authorization');
  if (status === 200 && matches(req.headers['if-none-match'], etag)) {
    res.status(304).end();
    return;
  }
  res.status(status).type('application/json').send(bytes);
}

function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const v = t.trim();
    return v === '*' || v === etag || v === `W/${etag}`;
  });
}

/** The page body: items and, when more follow, the cursor and a ready `next` link. */
export function pageBody<T>(req: Request, items: readonly T[], next: string | undefined, cursorParam = 'cursor'): { items: readonly T[]; next?: string; nextLink?: string } {
  if (!next) return { items };
  const query = queryOf(req);
  query.set(cursorParam, next);
  const path = req.originalUrl.split('?')[0];
  return { items, next, nextLink: `${path}?${query.toString()}` };
}
