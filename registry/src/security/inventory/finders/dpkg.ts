// dpkg's status database (var/lib/dpkg/status, or one file per package in
// status.d/ on distroless images): RFC 822 paragraphs. Only packages whose
// Status says "installed" count; "Source: name (version)" gives the source
// package and, when it differs, the source version that advisories name.
import { PackageURL } from 'packageurl-js';
import type { Distro, InventoryPackage } from '../model.js';

function paragraphs(text: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const f: Record<string, string> = {};
    let last = '';
    for (const line of block.split('\n')) {
      if (line.startsWith(' ') || line.startsWith('\t')) {
        if (last) f[last] += `\n${line.trim()}`;
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      last = line.slice(0, colon).trim().toLowerCase();
      f[last] = line.slice(colon + 1).trim();
    }
    if (Object.keys(f).length) out.push(f);
  }
  return out;
}

export function findDpkgPackages(text: string, path: string, distro: Distro | undefined): InventoryPackage[] {
  const out: InventoryPackage[] = [];
  const namespace = distro?.id === 'ubuntu' ? 'ubuntu' : 'debian';
  // A distro= of another family (a dpkg database on Alpine) would send the package to the wrong advisories.
  const release = distro && (distro.id === 'debian' || distro.id === 'ubuntu') && distro.versionId ? `${distro.id}-${distro.versionId}` : undefined;
  for (const f of paragraphs(text)) {
    if (!f.package || !f.version) continue;
    // status.d files carry no Status field; the status file does, and lists removed packages too.
    if (f.status !== undefined && !/\binstalled$/.test(f.status.trim())) continue;
    const src = /^(\S+)(?:\s+\((\S+)\))?/.exec(f.source ?? '');
    const sourceName = src?.[1] && src[1] !== f.package ? src[1] : undefined;
    const sourceVersion = src?.[2] && src[2] !== f.version ? src[2] : undefined;
    const qualifiers: Record<string, string> = {};
    if (f.architecture) qualifiers.arch = f.architecture;
    if (release) qualifiers.distro = release;
    if (sourceName || sourceVersion) qualifiers.upstream = `${src![1]}${sourceVersion ? `@${sourceVersion}` : ''}`;
    out.push({
      type: 'deb',
      name: f.package,
      version: f.version,
      purl: new PackageURL('deb', namespace, f.package, f.version, qualifiers, undefined).toString(),
      sourceName: src?.[1] && src[1] !== f.package ? src[1] : undefined,
      sourceVersion,
      arch: f.architecture,
      locations: [path],
    });
  }
  return out;
}
