// Go programs: the toolchain (as the "stdlib" module OSV's Go advisories name)
// and every module compiled in, from the binary's build info.
import { PackageURL } from 'packageurl-js';
import { normalizeGoVersion } from '../../versions/semver-like.js';
import type { GoBuildInfo, GoModule } from '../go-buildinfo.js';
import type { InventoryPackage } from '../model.js';

function goPackage(path: string, version: string, location: string): InventoryPackage {
  const slash = path.lastIndexOf('/');
  const purl = slash > 0
    ? new PackageURL('golang', path.slice(0, slash), path.slice(slash + 1), version, undefined, undefined)
    : new PackageURL('golang', undefined, path, version, undefined, undefined);
  return { type: 'golang', name: path, version, purl: purl.toString(), locations: [location] };
}

export function findGoPackages(info: GoBuildInfo, location: string): InventoryPackage[] {
  const out: InventoryPackage[] = [];
  if (/^go\d/.test(info.goVersion)) out.push(goPackage('stdlib', normalizeGoVersion(info.goVersion.split(' ')[0]), location));
  const mods: GoModule[] = [...(info.main ? [info.main] : []), ...info.deps];
  for (const m of mods) {
    if (!m.version || m.version === '(devel)') continue;
    out.push(goPackage(m.path, m.version, location));
  }
  return out;
}
