// JSON.parse behind the body limits (json-limits.ts). The limits are set once per
// process at start-up (server.ts), like the hash worker pool: every JSON body the
// registry parses from a client goes through here.
import { Code, RegistryError } from '../errors.js';
import { jsonLimitsSchema } from '#contract/config/schema.js';
import { findJsonLimitViolation, type JsonLimits } from './json-limits.js';

let limits: JsonLimits = jsonLimitsSchema.parse({});

export function configureJsonLimits(next: JsonLimits): void {
  limits = next;
}

/** Throws MANIFEST_INVALID naming the first limit `body` goes beyond. */
export function checkJsonLimits(body: Uint8Array): void {
  const violation = findJsonLimitViolation(body, limits);
  if (violation) {
    throw new RegistryError(Code.MANIFEST_INVALID, { reason: violation.reason, limit: violation.limit, max: violation.max, offset: violation.offset });
  }
}

/** Parses a manifest body, or throws MANIFEST_INVALID with the reason (a limit, or not JSON). */
export function parseBoundedJson(body: Buffer): unknown {
  checkJsonLimits(body);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new RegistryError(Code.MANIFEST_INVALID, { reason: 'body is not valid JSON' });
  }
}
