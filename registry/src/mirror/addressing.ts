// Which requests a cache serves, addressed the two ways clients use:
//   containerd as a mirror:  /v2/library/alpine/manifests/3.20?ns=docker.io
//   a path prefix:           /v2/docker.io/library/alpine/manifests/3.20  (docker, podman, skopeo, crane)
// Both name the cached repository `docker.io/library/alpine`, which is where it is
// stored and what access rules name. `ns` is looked up among the configured hosts
// and aliases only, never dialed; an unknown `ns` is a local lookup, which is what
// containerd expects from a mirror that lacks something (it then asks the upstream
// itself).
import type { Upstream } from './upstream.js';

/** A request for a cached repository. */
export interface CacheTarget {
  readonly upstream: Upstream;
  /** The repository as stored and authorised here: `docker.io/library/alpine`. */
  readonly repo: string;
  /** Its name at the upstream: `library/alpine`. */
  readonly remote: string;
  /** Outside the upstream's include/exclude: only what is already stored is served. */
  readonly excluded: boolean;
}

export interface Addressed {
  readonly repo: string;
  readonly cache?: CacheTarget;
}

export class Namespaces {
  private readonly byName = new Map<string, Upstream>();

  constructor(readonly upstreams: readonly Upstream[]) {
    for (const u of upstreams) for (const name of [u.host, ...u.config.aliases]) this.byName.set(name, u);
  }

  /** The upstream of a configured host or alias. */
  upstream(host: string): Upstream | undefined {
    return this.byName.get(host);
  }

  address(repo: string, ns: string | null): Addressed {
    const slash = repo.indexOf('/');
    const prefixed = slash > 0 ? this.byName.get(repo.slice(0, slash)) : undefined;
    if (prefixed) return this.target(prefixed, repo.slice(slash + 1));
    const named = ns ? this.byName.get(ns.toLowerCase()) : undefined;
    return named ? this.target(named, repo) : { repo };
  }

  /** True when the repository lies in a cached namespace (pushes there are refused). */
  isCached(repo: string): boolean {
    const slash = repo.indexOf('/');
    return slash > 0 && this.byName.has(repo.slice(0, slash));
  }

  private target(upstream: Upstream, name: string): Addressed {
    const remote = upstream.remoteName(name);
    const repo = `${upstream.host}/${remote}`;
    return { repo, cache: { upstream, repo, remote, excluded: !upstream.serves(remote) } };
  }
}
