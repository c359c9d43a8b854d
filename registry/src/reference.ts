// The grammar of everything a client names: digests (OCI image spec, descriptor.md
// "Digests"; only the algorithms this registry can verify), repository names and
// tags (OCI distribution spec, "Pulling manifests"), and manifest references.
import { createHash, type Hash } from 'node:crypto';
import { Code, RegistryError } from './errors.js';

export type Algorithm = 'sha256' | 'sha512';

const ENCODED: Record<Algorithm, RegExp> = {
  sha256: /^[a-f0-9]{64}$/,
  sha512: /^[a-f0-9]{128}$/,
};
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const NAME_COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME = new RegExp(`^${NAME_COMPONENT}(?:/${NAME_COMPONENT})*$`);
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

export const MAX_NAME_LENGTH = 255;

export interface Digest {
  readonly algorithm: Algorithm;
  readonly hex: string;
  readonly value: string;
}

/** Parses a digest string; returns undefined when malformed or of an unsupported algorithm. */
export function parseDigest(value: string): Digest | undefined {
  if (!DIGEST.test(value)) return undefined;
  const i = value.indexOf(':');
  const algorithm = value.slice(0, i) as Algorithm;
  const hex = value.slice(i + 1);
  const pattern = ENCODED[algorithm];
  if (!pattern || !pattern.test(hex)) return undefined;
  return { algorithm, hex, value };
}

export function newHash(algorithm: Algorithm): Hash {
  return createHash(algorithm);
}

export function digestOf(data: Buffer | string, algorithm: Algorithm = 'sha256'): Digest {
  const hex = createHash(algorithm).update(data).digest('hex');
  return { algorithm, hex, value: `${algorithm}:${hex}` };
}

export function isValidRepositoryName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && NAME.test(name);
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** A manifest reference: a tag, or a digest (tags cannot contain ':', digests always do). */
export type Reference = { readonly tag: string; readonly digest?: undefined } | { readonly digest: Digest; readonly tag?: undefined };

/** True when the reference is meant as a digest (it may still be malformed). */
export function isDigestReference(reference: string): boolean {
  return reference.includes(':');
}

/** Parses a tag or digest reference; DIGEST_INVALID or TAG_INVALID when malformed. */
export function parseReference(reference: string): Reference {
  if (isDigestReference(reference)) {
    const digest = parseDigest(reference);
    if (!digest) throw new RegistryError(Code.DIGEST_INVALID, { digest: reference });
    return { digest };
  }
  if (!isValidTag(reference)) throw new RegistryError(Code.TAG_INVALID, { tag: reference });
  return { tag: reference };
}

/** Parses a digest a client sent; DIGEST_INVALID with `reason` when it is malformed. */
export function requireDigest(value: string | null | undefined, reason?: string): Digest {
  const d = value ? parseDigest(value) : undefined;
  if (!d) throw new RegistryError(Code.DIGEST_INVALID, { digest: value ?? null, ...(reason ? { reason } : {}) });
  return d;
}
