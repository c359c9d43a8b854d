import { compileRepositoryPattern, validateRepositoryPattern } from '#contract/auth/repository-pattern.js';

describe('repository patterns', () => {
  const cases: [string, string, boolean][] = [
    ['team-a/app', 'team-a/app', true],
    ['team-a/app', 'team-a/app2', false],
    ['team-a/app', 'team-a', false],
    ['team-a/*', 'team-a/app', true],
    ['team-a/*', 'team-a/app/sub', false],
    ['team-a/*', 'team-a', false],
    ['team-a/*', 'team-ab/app', false],
    ['team-a/**', 'team-a/app', true],
    ['team-a/**', 'team-a/app/sub/deeper', true],
    ['team-a/**', 'team-a', false],
    ['team-a/**', 'team-b/app', false],
    ['**', 'anything/at/all', true],
    ['**', 'single', true],
    ['*', 'single', true],
    ['*', 'two/parts', false],
    ['*/app', 'team-a/app', true],
    ['*/app', 'team-a/other', false],
    ['app-*', 'app-frontend', true],
    ['app-*', 'app.frontend', false],
    ['a.b/c', 'axb/c', false],
  ];
  test.each(cases)('%s matches %s: %s', (pattern, name, expected) => {
    expect(compileRepositoryPattern(pattern).test(name)).toBe(expected);
  });

  test.each(['', '/lead', 'trail/', 'a//b', 'UPPER/*', 'a/***', 'sp ace', 'a/[bc]'])('%j is refused', (pattern) => {
    expect(validateRepositoryPattern(pattern)).toEqual(expect.any(String));
    expect(() => compileRepositoryPattern(pattern)).toThrow();
  });
});
