// Base and derived images. An image's base is an image whose layers are a
// proper prefix of its own, or the one its `org.opencontainers.image.base.digest`
// annotation names; a derived image is one whose layers start with all of this
// image's. Candidates come from the index (manifests sharing the first or last
// layer, then their layer counts), and only the few that pass are confirmed from
// their manifests' layer order. Only repositories the viewer may pull are looked
// at. An index answers per platform.
import type { MetadataIndex } from '../metadata/index.js';
import type { ManifestKey, Platform } from '../metadata/types.js';
import { categoryOf } from './artifact-kinds.js';
import type { ContentReader } from './content.js';
import type { Viewer } from './repository-view.js';

export const BASE_NAME = 'org.opencontainers.image.base.name';
export const BASE_DIGEST = 'org.opencontainers.image.base.digest';

/** Manifests sharing a layer that are looked at, and confirmed by reading their layer order. */
const CANDIDATES = 500;
const CONFIRMED = 50;

export interface LineageEntry {
  readonly repository: string;
  readonly digest: string;
  readonly tags: string[];
  readonly layers: number;
  /** How it was found: a layer prefix, the base annotation, or both. */
  readonly via: 'layers' | 'annotation' | 'layers+annotation';
  readonly platform?: Platform;
  /** Indexes in its repository that list it (a platform of a multi-arch image), with their tags. */
  readonly indexes?: Array<{ readonly digest: string; readonly tags: string[] }>;
}

export interface Lineage {
  /** Nearest first (most layers shared). */
  readonly images: LineageEntry[];
  /** The base the annotations name when no repository the viewer sees holds it. */
  readonly annotated?: { readonly name?: string; readonly digest?: string };
  /** For an index: the same per platform. */
  readonly platforms?: Array<{ readonly digest: string; readonly platform?: Platform; readonly images: LineageEntry[] }>;
}

export class LineageView {
  constructor(private readonly index: MetadataIndex, private readonly content: ContentReader) {}

  async base(viewer: Viewer, repo: string, digest: string): Promise<Lineage> {
    return this.perPlatform(viewer, digest, (d) => this.baseOf(viewer, repo, d));
  }

  async derived(viewer: Viewer, repo: string, digest: string): Promise<Lineage> {
    return this.perPlatform(viewer, digest, (d) => this.derivedOf(viewer, repo, d));
  }

  private async perPlatform(viewer: Viewer, digest: string, one: (digest: string) => Promise<Lineage>): Promise<Lineage> {
    const doc = await this.content.manifest(digest);
    if (!doc?.manifests.length) return one(digest);
    const children = doc.manifests.filter((c) => categoryOf(c.mediaType) === 'image' && c.platform?.architecture && c.platform.architecture !== 'unknown');
    const own = await this.annotationBase(viewer, doc.annotations);
    const platforms = [];
    for (const child of children) {
      const lineage = await one(child.digest);
      const platform = child.platform?.os && child.platform.architecture
        ? { os: child.platform.os, architecture: child.platform.architecture, ...(child.platform.variant ? { variant: child.platform.variant } : {}) }
        : undefined;
      platforms.push({ digest: child.digest, ...(platform ? { platform } : {}), images: lineage.images });
    }
    return { images: own.images, ...(own.annotated ? { annotated: own.annotated } : {}), platforms };
  }

  private async baseOf(viewer: Viewer, repo: string, digest: string): Promise<Lineage> {
    const doc = await this.content.manifest(digest);
    const layers = doc?.layers.map((l) => l.digest) ?? [];
    const annotated = await this.annotationBase(viewer, doc?.annotations);
    const found = new Map<string, LineageEntry>(annotated.images.map((e) => [`${e.repository}@${e.digest}`, e]));
    if (layers.length > 1) {
      const distinct = new Set(layers);
      const candidates = (await this.index.referencing(layers[0], 'layer', CANDIDATES))
        .filter((c) => !(c.repo === repo && c.digest === digest) && viewer.sees(c.repo));
      const overlap = await this.index.layerOverlap(candidates, [...distinct]);
      const plausible = candidates
        .map((c) => ({ ...c, ...overlap.get(`${c.repo}@${c.digest}`)! }))
        .filter((c) => c.layers !== undefined && c.layers === c.shared && c.layers < layers.length)
        .sort((a, b) => b.layers - a.layers)
        .slice(0, CONFIRMED);
      for (const c of plausible) {
        const theirs = (await this.content.manifest(c.digest))?.layers.map((l) => l.digest) ?? [];
        if (theirs.length && theirs.every((d, i) => d === layers[i])) this.add(found, c, theirs.length, 'layers');
      }
    }
    const nearest = [...found.values()].sort((a, b) => b.layers - a.layers);
    return { images: await this.describe(nearest), ...(annotated.annotated ? { annotated: annotated.annotated } : {}) };
  }

  private async derivedOf(viewer: Viewer, repo: string, digest: string): Promise<Lineage> {
    const layers = (await this.content.manifest(digest))?.layers.map((l) => l.digest) ?? [];
    if (!layers.length) return { images: [] };
    const distinct = new Set(layers);
    const candidates = (await this.index.referencing(layers.at(-1)!, 'layer', CANDIDATES))
      .filter((c) => !(c.repo === repo && c.digest === digest) && viewer.sees(c.repo));
    const overlap = await this.index.layerOverlap(candidates, [...distinct]);
    const plausible = candidates
      .map((c) => ({ ...c, ...overlap.get(`${c.repo}@${c.digest}`)! }))
      .filter((c) => c.shared === distinct.size && c.layers > distinct.size)
      .sort((a, b) => a.layers - b.layers)
      .slice(0, CONFIRMED);
    const found = new Map<string, LineageEntry>();
    for (const c of plausible) {
      const doc = await this.content.manifest(c.digest);
      const theirs = doc?.layers.map((l) => l.digest) ?? [];
      if (!layers.every((d, i) => theirs[i] === d)) continue;
      this.add(found, c, theirs.length, doc?.annotations?.[BASE_DIGEST] === digest ? 'layers+annotation' : 'layers');
    }
    return { images: await this.describe([...found.values()].sort((a, b) => a.layers - b.layers)) };
  }

  /** The base the annotations name, where the viewer can see it. */
  private async annotationBase(viewer: Viewer, annotations: Record<string, string> | undefined): Promise<Lineage> {
    const digest = annotations?.[BASE_DIGEST];
    const name = annotations?.[BASE_NAME];
    if (!digest && !name) return { images: [] };
    const images: LineageEntry[] = [];
    if (digest) {
      const repos = (await this.index.holders(digest, 50)).filter((r) => viewer.sees(r));
      const layers = repos.length ? (await this.content.manifest(digest))?.layers.length ?? 0 : 0;
      for (const r of repos) images.push({ repository: r, digest, tags: [], layers, via: 'annotation' });
    }
    return { images, ...(images.length ? {} : { annotated: { ...(name ? { name } : {}), ...(digest ? { digest } : {}) } }) };
  }

  private add(found: Map<string, LineageEntry>, c: ManifestKey, layers: number, via: 'layers' | 'layers+annotation'): void {
    const key = `${c.repo}@${c.digest}`;
    const before = found.get(key);
    found.set(key, { repository: c.repo, digest: c.digest, tags: [], layers, via: before?.via === 'annotation' ? 'layers+annotation' : via });
  }

  /** Adds each entry's tags, platform and the indexes listing it, in the order given. */
  private async describe(entries: LineageEntry[]): Promise<LineageEntry[]> {
    const out: LineageEntry[] = [];
    for (const e of entries) {
      const [tags, row, parents] = await Promise.all([
        this.index.tagsOf(e.repository, e.digest),
        this.index.getManifest(e.repository, e.digest),
        this.index.referencing(e.digest, 'manifest', 5, e.repository),
      ]);
      const indexes = await Promise.all(parents.map(async (p) => ({ digest: p.digest, tags: await this.index.tagsOf(e.repository, p.digest) })));
      out.push({
        ...e, tags,
        ...(row?.platforms?.length === 1 ? { platform: row.platforms[0] } : {}),
        ...(indexes.length ? { indexes } : {}),
      });
    }
    return out;
  }
}
