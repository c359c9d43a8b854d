// What the indexer finds in an image, per platform manifest. Stored once per
// digest (it never changes) and matched again whenever the database changes.

export type PackageType = 'apk' | 'deb' | 'npm' | 'pypi' | 'golang';

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export interface Distro {
  /** os-release ID ("debian", "alpine", "ubuntu"). */
  readonly id: string;
  readonly versionId?: string;
  readonly versionCodename?: string;
  readonly prettyName?: string;
}

/** How OSV advisories name this package: the ecosystem, the (source) name and the version to compare. */
export interface OsvQuery {
  readonly ecosystem: string;
  readonly name: string;
  readonly version: string;
}

export interface InventoryPackage {
  readonly type: PackageType;
  readonly name: string;
  readonly version: string;
  readonly purl: string;
  /** Debian source package / Alpine origin, when it differs from the binary package. */
  readonly sourceName?: string;
  readonly sourceVersion?: string;
  readonly arch?: string;
  readonly licenses?: readonly string[];
  /** Files the package was read from (package database, manifest or binary), without a leading '/'. */
  readonly locations: readonly string[];
}

export interface Inventory {
  /** Digest of the image manifest this inventory describes. */
  readonly subject: string;
  readonly platform?: Platform;
  readonly distro?: Distro;
  readonly packages: readonly InventoryPackage[];
  /** Indexer name and version: an inventory is made again only when this changes. */
  readonly indexer: string;
  /** Layer digests in order, as read. */
  readonly layers: readonly string[];
}

export const INDEXER = 'builtin/1';
