// OSV ecosystem names ("Alpine:v3.20", "Debian:12", "Ubuntu:22.04:LTS", "npm",
// "PyPI", "Go") and the rule for comparing them: the base must be equal, and
// the release too when both sides name one.
import { normalizePythonName } from '../versions/pep440.js';

export interface ParsedEcosystem {
  readonly base: string;
  readonly suffix: string;
}

export function parseEcosystem(ecosystem: string): ParsedEcosystem {
  const i = ecosystem.indexOf(':');
  return i < 0 ? { base: ecosystem, suffix: '' } : { base: ecosystem.slice(0, i), suffix: ecosystem.slice(i + 1) };
}

export function ecosystemsMatch(advisory: string, pkg: string): boolean {
  const a = parseEcosystem(advisory);
  const p = parseEcosystem(pkg);
  if (a.base !== p.base) return false;
  return !a.suffix || !p.suffix || a.suffix === p.suffix;
}

/** The name as the index keys it: PEP 503 for PyPI (advisories spell "PyYAML", installs "pyyaml"), as written elsewhere. */
export function normalizeName(base: string, name: string): string {
  return base === 'PyPI' ? normalizePythonName(name) : name;
}

/** os-release → OSV ecosystem of its packages: "Alpine:v3.20", "Debian:12", "Ubuntu:22.04:LTS". */
export function distroEcosystem(id: string | undefined, versionId: string | undefined): string | undefined {
  if (!id) return undefined;
  switch (id.toLowerCase()) {
    case 'alpine': {
      const m = /^(\d+)\.(\d+)/.exec(versionId ?? '');
      return m ? `Alpine:v${m[1]}.${m[2]}` : 'Alpine';
    }
    case 'debian': {
      const major = /^(\d+)/.exec(versionId ?? '')?.[1];
      return major ? `Debian:${major}` : 'Debian';
    }
    case 'ubuntu': {
      const m = /^(\d+)\.(\d+)$/.exec(versionId ?? '');
      if (!m) return 'Ubuntu';
      const lts = m[2] === '04' && Number(m[1]) % 2 === 0;
      return `Ubuntu:${versionId}${lts ? ':LTS' : ''}`;
    }
    case 'wolfi':
      return 'Wolfi';
    case 'chainguard':
      return 'Chainguard';
    default:
      return undefined;
  }
}
