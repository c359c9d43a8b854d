// A policy rule's `federated` entry compiled: the issuer name, and globs over the
// subject and claims (`*` any run of characters, `?` one). Every condition must
// hold, and a claim the token lacks never matches.
import type { ValidPolicyFile } from '#contract/auth/policy-file.js';
import type { FederatedPrincipal } from './principal.js';

type MatcherSpec = ValidPolicyFile['rules'][number]['federated'][number];

export interface FederatedMatcher {
  matches(principal: FederatedPrincipal): boolean;
}

export function compileGlob(glob: string): RegExp {
  const source = [...glob].map((c) => (c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : c.replace(/[\\^$.|+()[\]{}/]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 'u');
}

export function compileFederatedMatcher(spec: MatcherSpec): FederatedMatcher {
  const subject = spec.subject !== undefined ? compileGlob(spec.subject) : undefined;
  const claims = Object.entries(spec.claims).map(([name, globs]) => [name, [globs].flat().map(compileGlob)] as const);
  return {
    matches(principal) {
      if (principal.issuer !== spec.issuer) return false;
      if (subject && !subject.test(principal.subject)) return false;
      return claims.every(([name, res]) => {
        const value = Object.hasOwn(principal.claims, name) ? principal.claims[name] : undefined;
        return value !== undefined && res.some((re) => re.test(value));
      });
    },
  };
}
