// Tag patterns for immutability and retention: shell-style globs over the whole tag,
// `*` for any run of characters and `?` for one (`v*`, `release-?.*`, `latest`).
export function compileTagPattern(pattern: string): RegExp {
  let source = '';
  for (const c of pattern) {
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else source += c.replace(/[.+^${}()|[\]\\-]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

export function matchesAny(patterns: readonly RegExp[], tag: string): boolean {
  return patterns.some((re) => re.test(tag));
}
