// Opaque pagination cursors: the keyset position of the last item returned, as
// base64url JSON, tagged with the listing it belongs to.
import { MetadataCursorError } from '../errors.js';

export function encodeCursor(listing: string, position: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([listing, ...position])).toString('base64url');
}

/** The position in `cursor`; throws MetadataCursorError for anything else. */
export function decodeCursor(listing: string, cursor: string, shape: readonly ('string' | 'number')[]): (string | number)[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new MetadataCursorError('malformed cursor');
  }
  if (!Array.isArray(parsed) || parsed[0] !== listing || parsed.length !== shape.length + 1) {
    throw new MetadataCursorError(`not a cursor of this ${listing} listing`);
  }
  const position = (parsed as unknown[]).slice(1);
  position.forEach((v, i) => {
    if (typeof v !== shape[i]) throw new MetadataCursorError('malformed cursor');
  });
  return position as (string | number)[]; // each checked against `shape` above
}

/** A page size within [1, max], `fallback` when unset. */
export function pageSize(n: number | undefined, fallback: number, max: number): number {
  if (n === undefined || !Number.isFinite(n)) return fallback;
  return Math.max(1, Math.min(max, Math.floor(n)));
}
