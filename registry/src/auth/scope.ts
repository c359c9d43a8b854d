// Docker token scopes (distribution docs/spec/auth/scope.md):
//   repository[(class)]:<name>:<action>[,<action>...]   registry:catalog:*
// The name may itself contain ':' (hosts with ports), so type is the first field
// and actions the last.
import { isValidRepositoryName } from '../reference.js';
import type { Access, Action } from './access.js';

const ACTIONS = new Set<Action>(['pull', 'push', 'delete', '*']);

/** Parses one scope; undefined for scopes this registry does not know (ignored, per the spec). */
export function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return undefined;
  const type = scope.slice(0, first).replace(/\(.*\)$/, '');
  const name = scope.slice(first + 1, last);
  const actions = [...new Set(scope.slice(last + 1).split(',').filter((a): a is Action => ACTIONS.has(a as Action)))];
  if (type === 'repository' && isValidRepositoryName(name)) return { type, name, actions };
  if (type === 'registry' && name === 'catalog') return { type, name, actions: actions.filter((a) => a === '*') };
  return undefined;
}

/** Parses every `scope` value; OAuth2 forms put several in one value, space-separated. */
export function parseScopes(values: readonly string[]): Access[] {
  const merged = new Map<string, Access>();
  for (const value of values) {
    for (const s of value.split(' ').filter(Boolean)) {
      const access = parseScope(s);
      if (!access) continue;
      const key = `${access.type}:${access.name}`;
      const prev = merged.get(key);
      merged.set(key, prev ? { ...access, actions: [...new Set([...prev.actions, ...access.actions])] } : access);
    }
  }
  return [...merged.values()];
}

export function formatScope(access: Access): string {
  return `${access.type}:${access.name}:${access.actions.join(',')}`;
}

/** Merges accesses on the same resource (challenge scopes list each resource once). */
export function mergeAccess(list: readonly Access[]): Access[] {
  return parseScopes(list.map(formatScope));
}
