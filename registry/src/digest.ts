// Digests per the OCI image spec's grammar (descriptor.md, "Digests"): only the
// registered algorithms this registry can verify are accepted.
import { createHash, type Hash } from 'node:crypto';

export type Algorithm = 'sha256' | 'sha512';

const ENCODED: Record<Algorithm, RegExp> = {
  sha256: /^[a-f0-9]{64}$/,
  sha512: /^[a-f0-9]{128}$/,
};
const GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface Digest {
  readonly algorithm: Algorithm;
  readonly hex: string;
  readonly value: string;
}

/** Parses a digest string; returns undefined when malformed or of an unsupported algorithm. */
export function parseDigest(value: string): Digest | undefined {
  if (!GRAMMAR.test(value)) return undefined;
  const i = value.indexOf(':');
  const algorithm = value.slice(0, i) as Algorithm;
  const hex = value.slice(i + 1);
  const pattern = ENCODED[algorithm];
  if (!pattern || !pattern.test(hex)) return undefined;
  return { algorithm, hex, value };
}

export function isSupportedAlgorithm(name: string): name is Algorithm {
  return Object.hasOwn(ENCODED, name);
}

export function newHash(algorithm: Algorithm): Hash {
  return createHash(algorithm);
}

export function digestOf(data: Buffer | string, algorithm: Algorithm = 'sha256'): Digest {
  const hex = createHash(algorithm).update(data).digest('hex');
  return { algorithm, hex, value: `${algorithm}:${hex}` };
}

export function looksLikeDigest(reference: string): boolean {
  return reference.includes(':');
}
