// An image's inventory, made once per digest and kept in the metadata index:
// the stored one when it exists (and was made by this indexer), else the
// user's SBOM referrer when there is one (used as is), else Berth's indexer
// over the layers. An index gets one inventory per platform manifest plus a
// record listing them. What is not an image (a Helm chart, a signature, an
// SBOM, the database itself: scan-target.ts) is recorded as not applicable, and
// an image Berth cannot read (a layer over the size limit) as unsupported, each
// with the reason.
import type { SecurityConfig } from '#contract/config/security.js';
import type { InventoryRecord, MetadataIndex } from '../metadata/index.js';
import { inventoryFromCycloneDx, toCycloneDx } from '../security/inventory/cyclonedx.js';
import { Indexer, NotAnImageError, type Pause } from '../security/inventory/indexer.js';
import { INDEXER, type Inventory } from '../security/inventory/model.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import type { SbomReferrers } from './sbom-referrer.js';
import { scanTargetOf } from './scan-target.js';

export interface ImageInventory {
  readonly record: InventoryRecord;
  readonly inventory: Inventory;
  /** The SBOM JSON: the user's as pushed, or Berth's own rendering of the inventory (made when asked). */
  sbom(): string;
}

export type Obtained =
  | { readonly kind: 'image'; readonly image: ImageInventory }
  | { readonly kind: 'index'; readonly record: InventoryRecord; readonly children: readonly ImageInventory[] }
  | { readonly kind: 'unsupported'; readonly record: InventoryRecord }
  | { readonly kind: 'not-applicable'; readonly record: InventoryRecord };

interface ManifestShape {
  mediaType?: string;
  artifactType?: string;
  config?: { mediaType?: string };
  layers?: { size?: number }[];
  manifests?: { digest: string }[];
}

export class Inventories {
  constructor(
    private readonly index: MetadataIndex,
    private readonly storage: RegistryStorage,
    private readonly indexer: Indexer,
    private readonly sboms: SbomReferrers,
    private readonly limits: Pick<SecurityConfig['scanning'], 'maxLayerBytes'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Layer blobs the indexer has opened since start: re-matching must not add to it. */
  get layerReads(): number {
    return this.indexer.layerReads;
  }

  /** What `digest` in `repo` holds, from the index when known; `pause` is passed to the indexer's layer reads. */
  async obtain(repo: string, digest: string, pause?: Pause): Promise<Obtained> {
    const stored = await this.index.inventory(digest);
    // A user's SBOM wins over what Berth made, even when it arrived later.
    const user = await this.userSbom(repo, digest, stored?.source);
    if (user) return user;
    if (stored && (stored.indexer === INDEXER || stored.source.startsWith('sbom:'))) {
      const known = await this.fromRecord(stored);
      if (known) return known;
    }
    const body = (await this.storage.manifests.get(repo, digest)).body;
    const target = scanTargetOf(body);
    if (target.kind === 'not-applicable') return this.notApplicable(digest, target.reason);
    const manifest = JSON.parse(body.toString('utf8')) as ManifestShape;
    const tooLarge = (manifest.layers ?? []).find((l) => (l.size ?? 0) > this.limits.maxLayerBytes);
    if (tooLarge) return this.unsupported(digest, `a layer of ${tooLarge.size} bytes is larger than scanning.maxLayerBytes`);

    let result;
    try {
      result = await this.indexer.index(digest, pause);
    } catch (err) {
      if (err instanceof NotAnImageError) return this.unsupported(digest, `not a container image (${manifest.artifactType ?? manifest.config?.mediaType ?? manifest.mediaType ?? 'unknown type'})`);
      throw err;
    }
    if (!result.isIndex) return { kind: 'image', image: await this.store(result.inventories[0], 'indexer') };
    const children: ImageInventory[] = [];
    for (const inv of result.inventories) {
      const known = await this.index.inventory(inv.subject);
      children.push(known?.kind === 'image' && known.body ? this.imageOf(known) : await this.store(inv, 'indexer'));
    }
    const record: InventoryRecord = { digest, kind: 'index', source: 'indexer', indexer: INDEXER, children: children.map((c) => c.record.digest), createdAt: this.now() };
    await this.index.putInventory(record);
    return { kind: 'index', record, children };
  }

  /** The SBOM referrer Berth attached was stored: remember its digest. */
  async sbomAttached(digest: string, sbomDigest: string): Promise<void> {
    await this.index.setInventorySbom(digest, sbomDigest);
  }

  /** A stored record as an obtained inventory (re-matching reads only these). */
  async fromRecord(record: InventoryRecord): Promise<Obtained | undefined> {
    if (record.kind === 'unsupported') return { kind: 'unsupported', record };
    if (record.kind === 'not-applicable') return { kind: 'not-applicable', record };
    if (record.kind === 'image') return record.body ? { kind: 'image', image: this.imageOf(record) } : undefined;
    const children: ImageInventory[] = [];
    for (const d of record.children ?? []) {
      const child = await this.index.inventory(d);
      if (child?.kind !== 'image' || !child.body) return undefined; // a child lost: index again
      children.push(this.imageOf(child));
    }
    return { kind: 'index', record, children };
  }

  imageOf(record: InventoryRecord): ImageInventory {
    const inventory = JSON.parse(record.body!) as Inventory;
    return { record, inventory, sbom: () => toCycloneDx(inventory) };
  }

  /** The first readable user SBOM referrer, unless the stored inventory already came from it. */
  private async userSbom(repo: string, digest: string, storedSource: string | undefined): Promise<Obtained | undefined> {
    const theirs = (await this.sboms.list(repo, digest)).filter((r) => !r.ours);
    for (const referrer of theirs) {
      if (storedSource === `sbom:${referrer.digest}`) return undefined;
      const json = await this.sboms.read(repo, referrer.digest).catch(() => undefined);
      if (!json) continue;
      let inventory: Inventory;
      try {
        inventory = { ...inventoryFromCycloneDx(json, digest), subject: digest };
      } catch {
        continue; // not JSON we can read: try the next one, else index the image
      }
      const record: InventoryRecord = {
        digest, kind: 'image', source: `sbom:${referrer.digest}`, indexer: inventory.indexer,
        platform: inventory.platform, body: JSON.stringify(inventory), createdAt: this.now(),
      };
      await this.index.putInventory(record);
      return { kind: 'image', image: { record, inventory, sbom: () => json } };
    }
    return undefined;
  }

  private async store(inventory: Inventory, source: string): Promise<ImageInventory> {
    const record: InventoryRecord = {
      digest: inventory.subject, kind: 'image', source, indexer: inventory.indexer,
      platform: inventory.platform, body: JSON.stringify(inventory), createdAt: this.now(),
    };
    await this.index.putInventory(record);
    return { record, inventory, sbom: () => toCycloneDx(inventory) };
  }

  /** Records what is not an image (scan-target.ts), with why: no layer is read, and a new database re-matches it as such. */
  async notApplicable(digest: string, reason: string): Promise<Obtained> {
    return this.unscanned('not-applicable', digest, reason);
  }

  private unsupported(digest: string, reason: string): Promise<Obtained> {
    return this.unscanned('unsupported', digest, reason);
  }

  private async unscanned(kind: 'unsupported' | 'not-applicable', digest: string, reason: string): Promise<Obtained> {
    const record: InventoryRecord = { digest, kind, source: 'indexer', indexer: INDEXER, body: reason, createdAt: this.now() };
    await this.index.putInventory(record);
    return { kind, record };
  }
}
