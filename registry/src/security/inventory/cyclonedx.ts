// Inventory ⇄ CycloneDX 1.5 JSON. The SBOM is the stored form of an inventory
// (an OCI referrer of the image, artifactType application/vnd.cyclonedx+json),
// so it must carry everything re-matching needs: a purl per package with
// distro= and upstream= qualifiers. The output is deterministic: the same
// inventory gives the same bytes, hence the same referrer digest.
import { createHash } from 'node:crypto';
import * as CDX from '@cyclonedx/cyclonedx-library';
import { parsePurl } from '../osv/query.js';
import { INDEXER, type Distro, type Inventory, type InventoryPackage, type PackageType, type Platform } from './model.js';

export const CYCLONEDX_MEDIA_TYPE = 'application/vnd.cyclonedx+json';
const PROP_LOCATION = 'berth:package:location';
const PROP_INDEXER = 'berth:indexer';
const PROP_PLATFORM = 'berth:platform';

/** RFC 4122 form of a name-based id, so a re-made SBOM keeps its serial number. */
function serialNumber(inventory: Inventory): string {
  const h = createHash('sha256').update(`${inventory.subject} ${inventory.indexer}`).digest('hex');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function platformString(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

export function toCycloneDx(inventory: Inventory): string {
  const bom = new CDX.Models.Bom();
  bom.serialNumber = serialNumber(inventory);
  const subject = new CDX.Models.Component(CDX.Enums.ComponentType.Container, inventory.subject, { version: inventory.subject });
  subject.bomRef.value = inventory.subject;
  subject.properties.add(new CDX.Models.Property(PROP_INDEXER, inventory.indexer));
  if (inventory.platform) subject.properties.add(new CDX.Models.Property(PROP_PLATFORM, platformString(inventory.platform)));
  bom.metadata.component = subject;
  bom.metadata.tools.components.add(new CDX.Models.Component(CDX.Enums.ComponentType.Application, 'berth-indexer', { version: inventory.indexer }));
  if (inventory.distro) {
    const os = new CDX.Models.Component(CDX.Enums.ComponentType.OperatingSystem, inventory.distro.id, {
      version: inventory.distro.versionId,
      description: inventory.distro.prettyName,
    });
    os.bomRef.value = `os:${inventory.distro.id}@${inventory.distro.versionId ?? ''}`;
    bom.components.add(os);
  }
  for (const p of inventory.packages) {
    const c = new CDX.Models.Component(CDX.Enums.ComponentType.Library, p.name, { version: p.version, purl: p.purl });
    c.bomRef.value = p.purl;
    for (const l of p.licenses ?? []) c.licenses.add(new CDX.Models.NamedLicense(l));
    for (const loc of p.locations) c.properties.add(new CDX.Models.Property(PROP_LOCATION, loc));
    bom.components.add(c);
  }
  const serializer = new CDX.Serialize.JsonSerializer(new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.Spec1dot5));
  return serializer.serialize(bom, { sortLists: true, space: 0 });
}

interface CdxComponent {
  type?: string;
  name?: string;
  version?: string;
  purl?: string;
  description?: string;
  licenses?: { license?: { name?: string; id?: string }; expression?: string }[];
  properties?: { name?: string; value?: string }[];
  components?: CdxComponent[];
}

const TYPES: Record<string, PackageType> = { apk: 'apk', deb: 'deb', npm: 'npm', pypi: 'pypi', golang: 'golang' };

/**
 * An inventory from any CycloneDX JSON SBOM (ours or a user's): every component
 * with a purl of a type Berth matches. Nested components are included.
 */
export function inventoryFromCycloneDx(json: string | object, subject?: string): Inventory {
  const bom = (typeof json === 'string' ? JSON.parse(json) : json) as { metadata?: { component?: CdxComponent }; components?: CdxComponent[] };
  const meta = bom.metadata?.component;
  const prop = (c: CdxComponent | undefined, name: string) => c?.properties?.filter((p) => p.name === name).map((p) => p.value ?? '') ?? [];
  const packages: InventoryPackage[] = [];
  let distro: Distro | undefined;
  const visit = (list: CdxComponent[] | undefined): void => {
    for (const c of list ?? []) {
      if (c.type === 'operating-system' && c.name) distro = { id: c.name, versionId: c.version, prettyName: c.description };
      if (c.purl) {
        const p = parsePurl(c.purl);
        if (p) {
          const type = TYPES[p.type];
          const version = c.version ?? p.version;
          if (type && version) {
            const q = (p.qualifiers ?? {}) as Record<string, string>;
            const up = q.upstream;
            packages.push({
              type,
              name: c.name ?? p.name,
              version,
              purl: c.purl,
              sourceName: up ? up.split('@')[0] : undefined,
              sourceVersion: up?.includes('@') ? up.slice(up.indexOf('@') + 1) : undefined,
              arch: q.arch,
              licenses: (c.licenses ?? []).map((l) => l.license?.id ?? l.license?.name ?? l.expression ?? '').filter(Boolean),
              locations: prop(c, PROP_LOCATION),
            });
          }
        }
      }
      visit(c.components);
    }
  };
  visit(bom.components);
  const [os, architecture, variant] = (prop(meta, PROP_PLATFORM)[0] ?? '').split('/');
  return {
    subject: subject ?? meta?.version ?? meta?.name ?? '',
    platform: os && architecture ? { os, architecture, ...(variant ? { variant } : {}) } : undefined,
    distro,
    packages,
    indexer: prop(meta, PROP_INDEXER)[0] ?? `external`,
    layers: [],
  };
}

export { INDEXER };
