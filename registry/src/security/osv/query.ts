// From a package URL to the OSV query that finds its advisories. Everything the
// matcher needs is in the purl, so an SBOM (ours or one a user pushed) can be
// matched again without the image: distro= gives the release, upstream= the
// Debian source package or Alpine origin (syft's convention).
import { PackageURL } from 'packageurl-js';
import { normalizeGoVersion } from '../versions/semver-like.js';
import { normalizePythonName } from '../versions/pep440.js';
import type { OsvQuery } from '../inventory/model.js';

const DEBIAN_CODENAMES: Record<string, string> = {
  buster: '10', bullseye: '11', bookworm: '12', trixie: '13', forky: '14',
};

/** The OSV ecosystem of an OS purl's distro= qualifier ("debian-12", "bookworm", "alpine-3.20.3", "3.20.3", "ubuntu-22.04"). */
function osEcosystem(base: 'Alpine' | 'Debian' | 'Ubuntu', distro: string | undefined): string {
  if (!distro) return base;
  const release = distro.slice(distro.lastIndexOf('-') + 1).replace(/^v/i, '');
  if (base === 'Alpine') {
    const m = /^(\d+)\.(\d+)/.exec(release);
    return m ? `Alpine:v${m[1]}.${m[2]}` : release === 'edge' ? 'Alpine:edge' : 'Alpine';
  }
  if (base === 'Debian') {
    const major = DEBIAN_CODENAMES[release.toLowerCase()] ?? /^(\d+)/.exec(release)?.[1];
    return major ? `Debian:${major}` : 'Debian';
  }
  const m = /^(\d+)\.(\d+)$/.exec(release);
  if (!m) return 'Ubuntu';
  return `Ubuntu:${release}${m[2] === '04' && Number(m[1]) % 2 === 0 ? ':LTS' : ''}`;
}

/** upstream= as "name" or "name@version". */
function upstream(q: Record<string, string> | undefined): { name?: string; version?: string } {
  const u = q?.upstream;
  if (!u) return {};
  const at = u.indexOf('@');
  return at < 0 ? { name: u } : { name: u.slice(0, at), version: u.slice(at + 1) };
}

const CACHE_LIMIT = 200_000;
const parsed = new Map<string, PackageURL | null>();
const queries = new Map<string, OsvQuery | null>();

function remember<T>(cache: Map<string, T>, key: string, compute: () => T): T {
  if (cache.has(key)) return cache.get(key)!;
  const value = compute();
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

/** A parsed purl, or undefined when malformed. Cached: re-matching parses the same purls for every image. */
export function parsePurl(purl: string): PackageURL | undefined {
  return remember(parsed, purl, () => {
    try {
      return PackageURL.fromString(purl);
    } catch {
      return null;
    }
  }) ?? undefined;
}

/** The OSV query for a purl, or undefined for a type Berth does not match. */
export function osvQueryOfPurl(purl: string): OsvQuery | undefined {
  return remember(queries, purl, () => computeQuery(purl) ?? null) ?? undefined;
}

function computeQuery(purl: string): OsvQuery | undefined {
  const p = parsePurl(purl);
  if (!p?.version) return undefined;
  const q = p.qualifiers;
  switch (p.type) {
    case 'apk': {
      const ns = (p.namespace ?? '').toLowerCase();
      const ecosystem = ns === 'wolfi' ? 'Wolfi' : ns === 'chainguard' ? 'Chainguard' : osEcosystem('Alpine', q?.distro);
      const up = upstream(q);
      return { ecosystem, name: up.name ?? p.name, version: up.version ?? p.version };
    }
    case 'deb': {
      const ns = (p.namespace ?? '').toLowerCase();
      const base = ns === 'ubuntu' || q?.distro?.toLowerCase().startsWith('ubuntu') ? 'Ubuntu' : 'Debian';
      const up = upstream(q);
      return { ecosystem: osEcosystem(base, q?.distro), name: up.name ?? p.name, version: up.version ?? p.version };
    }
    case 'npm':
      return { ecosystem: 'npm', name: p.namespace ? `${p.namespace}/${p.name}` : p.name, version: p.version };
    case 'pypi':
      return { ecosystem: 'PyPI', name: normalizePythonName(p.name), version: p.version };
    case 'golang': {
      const name = p.namespace ? `${p.namespace}/${p.name}` : p.name;
      return { ecosystem: 'Go', name: name === 'stdlib' || name === 'go' ? 'stdlib' : name, version: normalizeGoVersion(p.version) };
    }
    default:
      return undefined;
  }
}
