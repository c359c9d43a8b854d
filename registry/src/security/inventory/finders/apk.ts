// Alpine's installed database (lib/apk/db/installed): one record per package,
// records separated by a blank line, each line "<letter>:<value>"
// (P name, V version, A arch, o origin, L license).
import { PackageURL } from 'packageurl-js';
import type { Distro, InventoryPackage } from '../model.js';

export function findApkPackages(text: string, path: string, distro: Distro | undefined): InventoryPackage[] {
  const out: InventoryPackage[] = [];
  const family = distro && ['alpine', 'wolfi', 'chainguard'].includes(distro.id);
  for (const record of text.split(/\n\s*\n/)) {
    const f: Record<string, string> = {};
    for (const line of record.split('\n')) {
      if (line.length > 2 && line[1] === ':' && f[line[0]] === undefined) f[line[0]] = line.slice(2).trim();
    }
    if (!f.P || !f.V) continue;
    const namespace = family && distro.id !== 'alpine' ? distro.id : 'alpine';
    const qualifiers: Record<string, string> = {};
    if (f.A) qualifiers.arch = f.A;
    if (family && distro.versionId) qualifiers.distro = `${distro.id}-${distro.versionId}`;
    if (f.o && f.o !== f.P) qualifiers.upstream = f.o;
    out.push({
      type: 'apk',
      name: f.P,
      version: f.V,
      purl: new PackageURL('apk', namespace, f.P, f.V, qualifiers, undefined).toString(),
      sourceName: f.o && f.o !== f.P ? f.o : undefined,
      arch: f.A,
      licenses: f.L ? [f.L] : undefined,
      locations: [path],
    });
  }
  return out;
}
