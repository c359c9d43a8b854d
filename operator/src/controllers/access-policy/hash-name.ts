// Object names built from user-chosen parts can exceed what the API allows; such a
// name keeps its readable start and ends in a hash of the whole, so it stays unique.
import { createHash } from 'node:crypto';

export function hashSuffix(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 12);
  return `${name.slice(0, max - hash.length - 1)}-${hash}`;
}
