// Repository name patterns used by policies: `team-a/app` (exact), `team-a/*`
// (`*` matches within one path component), `team-a/**` and `**` (`**` matches
// across components, including `/`).
const PATTERN_CHARS = /^[a-z0-9._\-/*]+$/;

export function validateRepositoryPattern(pattern: string): string | undefined {
  if (!pattern) return 'empty pattern';
  if (!PATTERN_CHARS.test(pattern)) return 'patterns may use lowercase letters, digits, . _ - / and *';
  if (/\*\*\*/.test(pattern)) return '"***" is not a pattern';
  if (pattern.startsWith('/') || pattern.endsWith('/') || pattern.includes('//')) return 'empty path component';
  return undefined;
}

export function compileRepositoryPattern(pattern: string): RegExp {
  const problem = validateRepositoryPattern(pattern);
  if (problem) throw new Error(`${pattern}: ${problem}`);
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (c === '*') {
      source += '[^/]*';
    } else {
      source += c.replace(/[.\-/]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}
