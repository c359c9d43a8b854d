// Paths below /api/v1/repositories/: the repository name may hold slashes, so
// what follows it is set apart by a `-` segment, which no name component can be
// (components start with a letter or digit): `{name}`, `{name}/-/tags`,
// `{name}/-/tags/{tag}/history`, `{name}/-/tags/{tag}/restore`,
// `{name}/-/manifests/{digest}`, `{name}/-/manifests/{digest}/base|derived`,
// `{name}/-/referrers/{digest}`.
import { Code, RegistryError } from '../../errors.js';
import { isValidRepositoryName, isValidTag, parseDigest } from '../../reference.js';

export type RepositoryRoute =
  | { readonly kind: 'repository'; readonly name: string }
  | { readonly kind: 'tags'; readonly name: string }
  | { readonly kind: 'tag-history'; readonly name: string; readonly tag: string }
  | { readonly kind: 'tag-restore'; readonly name: string; readonly tag: string }
  | { readonly kind: 'artifact'; readonly name: string; readonly digest: string }
  | { readonly kind: 'base' | 'derived'; readonly name: string; readonly digest: string }
  | { readonly kind: 'referrers'; readonly name: string; readonly digest: string };

/** Parses the segments after /api/v1/repositories/ (express's decoded `*path`). */
export function parseRepositoryPath(segments: readonly string[]): RepositoryRoute {
  const dash = segments.indexOf('-');
  const name = (dash < 0 ? segments : segments.slice(0, dash)).join('/');
  if (!isValidRepositoryName(name)) throw new RegistryError(Code.NAME_INVALID, { name });
  if (dash < 0) return { kind: 'repository', name };
  const [resource, id, sub, ...extra] = segments.slice(dash + 1);
  const unknown = () => new RegistryError(Code.UNSUPPORTED, { path: segments.join('/') }, {}, 'no such endpoint');
  if (extra.length) throw unknown();
  if (resource === 'tags' && id === undefined) return { kind: 'tags', name };
  if (resource === 'tags' && (sub === 'history' || sub === 'restore')) {
    if (!isValidTag(id)) throw new RegistryError(Code.TAG_INVALID, { tag: id });
    return { kind: sub === 'history' ? 'tag-history' : 'tag-restore', name, tag: id };
  }
  if (resource === 'manifests' || resource === 'referrers') {
    if (id === undefined || !parseDigest(id)) throw new RegistryError(Code.DIGEST_INVALID, { digest: id ?? '' });
    if (resource === 'referrers' && sub === undefined) return { kind: 'referrers', name, digest: id };
    if (resource === 'manifests' && sub === undefined) return { kind: 'artifact', name, digest: id };
    if (resource === 'manifests' && (sub === 'base' || sub === 'derived')) return { kind: sub, name, digest: id };
  }
  throw unknown();
}
