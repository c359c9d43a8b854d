// Durations in the CRDs are Go-style strings ("720h", "1h30m", "90s"), the same
// syntax CEL's duration() accepts in the schema's validation rules.

const unitSeconds: Record<string, number> = { h: 3600, m: 60, s: 1 };

/** Parses "1h30m" into seconds; throws on anything else. */
export function parseDurationSeconds(text: string): number {
  if (!/^(\d+[hms])+$/.test(text)) throw new Error(`invalid duration "${text}" (expected e.g. 24h, 1h30m, 90s)`);
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([hms])/g)) total += Number(n) * unitSeconds[unit];
  return total;
}
