// Installed Python distributions: *.dist-info/METADATA (wheels, pip) and
// *.egg-info/PKG-INFO (setuptools), both RFC 822 headers (core metadata spec).
import { PackageURL } from 'packageurl-js';
import { normalizePythonName } from '../../versions/pep440.js';
import type { InventoryPackage } from '../model.js';

export function findPythonPackage(text: string, path: string): InventoryPackage[] {
  const headers = text.split(/\r?\n\r?\n/, 1)[0];
  const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(headers)?.[1]?.trim();
  const name = field('Name');
  const version = field('Version');
  if (!name || !version) return [];
  const license = field('License-Expression') ?? field('License');
  return [{
    type: 'pypi',
    name,
    version,
    purl: new PackageURL('pypi', undefined, normalizePythonName(name), version, undefined, undefined).toString(),
    licenses: license && license !== 'UNKNOWN' ? [license] : undefined,
    locations: [path],
  }];
}
