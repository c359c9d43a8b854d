// One artifact as the browsing API shows it: the index's row (media type, size,
// created, platforms, annotations, tags), an index's platforms nested under it,
// the image's config and layers with the history step that made each (read from
// the content, which never changes), its referrers grouped by kind, its
// signature verdict and vulnerabilities, and what deleting it would free.
import { Code, RegistryError } from '../errors.js';
import type { MetadataIndex } from '../metadata/index.js';
import type { Page, Platform, ReferrerDescriptor } from '../metadata/types.js';
import { categoryOf, cosignTags, HELM_CONFIG, type ArtifactCategory } from './artifact-kinds.js';
import type { ContentDescriptor, ContentReader, HistoryEntry, ImageConfig } from './content.js';
import { freedBytes, type FreedBytes } from './freed-bytes.js';
import { BASE_DIGEST, BASE_NAME } from './lineage.js';
import type { RepositoryView, Viewer } from './repository-view.js';
import { signatureStatus, vulnerabilitySummary, type SignatureStatus, type VulnerabilitySummary } from './supply-chain.js';

/** Referrers shown per group in the artifact; the rest are paged by the referrers listing. */
const GROUP_ITEMS = 20;
/** Vulnerabilities listed in the artifact (the counts cover all). */
const VULNERABILITIES_LISTED = 500;
export const REFERRER_PAGE_MAX = 100;

export interface ChildManifest {
  readonly digest: string;
  readonly mediaType?: string;
  readonly size?: number;
  readonly platform?: Platform & { readonly 'os.version'?: string };
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
  /** A build attestation stored in the index (buildx), not a platform. */
  readonly attestation?: boolean;
  readonly created?: number;
  /** False when the repository does not hold the child (a partial copy). */
  readonly present: boolean;
  /** The child image's config + layers (compressed), when the repository holds it. */
  readonly imageSize?: number;
}

export interface Layer {
  readonly digest: string;
  readonly mediaType?: string;
  readonly size?: number;
  /** The history step that made the layer. */
  readonly createdBy?: string;
  readonly created?: string;
  readonly comment?: string;
}

export interface ReferrerItem {
  readonly digest: string;
  readonly mediaType?: string;
  readonly size?: number;
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
  /** Attached by cosign's tag convention rather than a subject. */
  readonly tag?: string;
}

export interface ReferrerGroup {
  readonly artifactType: string;
  readonly category: ArtifactCategory;
  readonly count: number;
  readonly items: ReferrerItem[];
}

export interface Artifact {
  readonly repository: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly artifactType?: string;
  readonly category: ArtifactCategory;
  /** The manifest's own bytes. */
  readonly size: number;
  /** An image's config + layers (compressed); an index's distinct blobs over its platforms. */
  readonly imageSize?: number;
  readonly pushedAt: number;
  readonly created?: number;
  readonly tags: string[];
  readonly platforms?: Platform[];
  readonly manifests?: ChildManifest[];
  /** Indexes in the repository that list this manifest, with their tags. */
  readonly parents?: Array<{ readonly digest: string; readonly tags: string[] }>;
  readonly subject?: { readonly digest: string; readonly present: boolean; readonly tags: string[]; readonly mediaType?: string };
  readonly annotations?: Record<string, string>;
  /** The base image the annotations name. */
  readonly base?: { readonly name?: string; readonly digest?: string };
  readonly config?: Omit<ImageConfig, 'history'> & { readonly digest: string; readonly mediaType?: string; readonly size?: number };
  readonly helmChart?: Record<string, unknown>;
  readonly layers?: Layer[];
  /** Every build step, those that made no layer included. */
  readonly history?: HistoryEntry[];
  readonly referrers: ReferrerGroup[];
  readonly signature?: SignatureStatus;
  readonly vulnerabilities?: VulnerabilitySummary;
  readonly freed: FreedBytes;
}

export class ArtifactView {
  constructor(private readonly index: MetadataIndex, private readonly content: ContentReader, private readonly repositories: RepositoryView) {}

  async artifact(viewer: Viewer, repo: string, digest: string): Promise<Artifact> {
    await this.repositories.status(viewer, repo);
    const row = await this.index.getManifest(repo, digest);
    if (!row) throw new RegistryError(Code.MANIFEST_UNKNOWN, { digest });
    const doc = await this.content.manifest(digest);
    const [tags, parents, referrers, scans, verdicts, freed, sizes] = await Promise.all([
      this.index.tagsOf(repo, digest),
      this.parents(repo, digest),
      this.referrerGroups(repo, digest),
      this.index.scanResults([digest]),
      this.index.signatureVerdicts(repo, [digest]),
      freedBytes(this.index, repo, digest),
      this.index.imageSizes(repo, [digest]),
    ]);
    const size = sizes.get(digest);
    const annotations = row.annotations ?? doc?.annotations;
    const base = annotations && (annotations[BASE_NAME] || annotations[BASE_DIGEST])
      ? { ...(annotations[BASE_NAME] ? { name: annotations[BASE_NAME] } : {}), ...(annotations[BASE_DIGEST] ? { digest: annotations[BASE_DIGEST] } : {}) }
      : undefined;
    const scan = scans.get(digest);
    const verdict = verdicts.get(digest);
    const category = categoryOf(row.artifactType ?? row.mediaType);
    return {
      repository: repo,
      digest,
      mediaType: row.mediaType,
      ...(row.artifactType ? { artifactType: row.artifactType } : {}),
      category,
      size: row.size,
      ...(size ? { imageSize: size.bytes } : {}),
      pushedAt: row.pushedAt,
      ...(row.created !== undefined ? { created: row.created } : {}),
      tags,
      ...(row.platforms?.length ? { platforms: row.platforms } : {}),
      ...(doc?.manifests.length ? { manifests: await this.children(repo, doc.manifests, new Map(size?.platforms?.map((p) => [p.digest, p.bytes]))) } : {}),
      ...(parents.length ? { parents } : {}),
      ...(row.subject ? { subject: await this.subject(repo, row.subject) } : {}),
      ...(annotations ? { annotations } : {}),
      ...(base ? { base } : {}),
      ...(doc?.config ? await this.configAndLayers(doc.config, doc.layers) : {}),
      referrers,
      ...(verdict ? { signature: signatureStatus(verdict) } : {}),
      ...(scan ? { vulnerabilities: vulnerabilitySummary(scan, VULNERABILITIES_LISTED) } : {}),
      freed,
    };
  }

  /** Referrers of one artifact type (or all) after the cursor's digest. */
  async referrers(viewer: Viewer, repo: string, digest: string, query: { artifactType?: string; after?: string; limit?: number }): Promise<Page<ReferrerItem>> {
    await this.repositories.status(viewer, repo);
    if (!(await this.index.getManifest(repo, digest))) throw new RegistryError(Code.MANIFEST_UNKNOWN, { digest });
    const limit = Math.min(Math.max(query.limit ?? REFERRER_PAGE_MAX, 1), REFERRER_PAGE_MAX);
    const page = await this.index.referrers(repo, digest, { artifactType: query.artifactType, after: query.after, limit });
    return { items: page.items.map(referrerItem), ...(page.next ? { next: page.next } : {}) };
  }

  private async children(repo: string, entries: readonly ContentDescriptor[], imageSizes: ReadonlyMap<string, number>): Promise<ChildManifest[]> {
    const rows = new Map((await this.index.manifestsIn(repo, entries.map((e) => e.digest))).map((r) => [r.digest, r]));
    return entries.map((e) => {
      const row = rows.get(e.digest);
      const p = e.platform;
      const attestation = e.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || (p?.os === 'unknown' && p.architecture === 'unknown');
      return {
        digest: e.digest,
        present: row !== undefined,
        ...(e.mediaType ? { mediaType: e.mediaType } : {}),
        ...(e.size !== undefined ? { size: e.size } : {}),
        ...(p?.os && p.architecture ? { platform: { os: p.os, architecture: p.architecture, ...(p.variant ? { variant: p.variant } : {}), ...(p['os.version'] ? { 'os.version': p['os.version'] } : {}) } } : {}),
        ...(e.artifactType ? { artifactType: e.artifactType } : {}),
        ...(e.annotations ? { annotations: e.annotations } : {}),
        ...(attestation ? { attestation: true } : {}),
        ...(row?.created !== undefined ? { created: row.created } : {}),
        ...(imageSizes.has(e.digest) ? { imageSize: imageSizes.get(e.digest) } : {}),
      };
    });
  }

  private async parents(repo: string, digest: string): Promise<Array<{ digest: string; tags: string[] }>> {
    const parents = await this.index.referencing(digest, 'manifest', 10, repo);
    return Promise.all(parents.map(async (p) => ({ digest: p.digest, tags: await this.index.tagsOf(repo, p.digest) })));
  }

  private async subject(repo: string, digest: string): Promise<NonNullable<Artifact['subject']>> {
    const row = await this.index.getManifest(repo, digest);
    return { digest, present: row !== undefined, tags: row ? await this.index.tagsOf(repo, digest) : [], ...(row ? { mediaType: row.mediaType } : {}) };
  }

  /** Referrers grouped by artifact type, each with its first items; cosign's tag-attached ones as their own groups. */
  private async referrerGroups(repo: string, digest: string): Promise<ReferrerGroup[]> {
    const [counts, attached] = await Promise.all([
      this.index.referrerCounts(repo, [digest]),
      this.index.existingTags(repo, cosignTags(digest).map((c) => c.tag)),
    ]);
    const groups: ReferrerGroup[] = [];
    for (const c of counts.get(digest) ?? []) {
      const page = await this.index.referrers(repo, digest, { artifactType: c.artifactType || undefined, limit: GROUP_ITEMS });
      const items = c.artifactType ? page.items : page.items.filter((i) => !i.artifactType);
      groups.push({ artifactType: c.artifactType, category: categoryOf(c.artifactType), count: c.count, items: items.map(referrerItem) });
    }
    for (const { tag, category } of cosignTags(digest)) {
      const target = attached.get(tag);
      if (!target) continue;
      const row = await this.index.getManifest(repo, target);
      const item: ReferrerItem = { digest: target, tag, ...(row ? { mediaType: row.mediaType, size: row.size } : {}), ...(row?.artifactType ? { artifactType: row.artifactType } : {}) };
      const type = `cosign ${tag.slice(tag.lastIndexOf('.') + 1)} tag`;
      groups.push({ artifactType: type, category, count: 1, items: [item] });
    }
    return groups;
  }

  private async configAndLayers(config: ContentDescriptor, layers: readonly ContentDescriptor[]): Promise<Pick<Artifact, 'config' | 'helmChart' | 'layers' | 'history'>> {
    const descriptor = { digest: config.digest, ...(config.mediaType ? { mediaType: config.mediaType } : {}), ...(config.size !== undefined ? { size: config.size } : {}) };
    if (config.mediaType === HELM_CONFIG) {
      const chart = await this.content.jsonBlob(config.digest, config.size);
      return { ...(isRecord(chart) ? { helmChart: chart } : {}), layers: layers.map((l) => layerOf(l)) };
    }
    const image = categoryOf(config.mediaType) === 'image' ? await this.content.imageConfig(config.digest, config.size) : undefined;
    if (!image) return { config: descriptor, layers: layers.map((l) => layerOf(l)) };
    const { history, ...settings } = image;
    // Each history step that made a layer belongs to the next layer, in order.
    const steps = history.filter((h) => !h.emptyLayer);
    return {
      config: { ...descriptor, ...settings },
      layers: layers.map((l, i) => layerOf(l, steps.length === layers.length ? steps[i] : undefined)),
      ...(history.length ? { history } : {}),
    };
  }
}

function layerOf(l: ContentDescriptor, step?: HistoryEntry): Layer {
  return {
    digest: l.digest,
    ...(l.mediaType ? { mediaType: l.mediaType } : {}),
    ...(l.size !== undefined ? { size: l.size } : {}),
    ...(step?.createdBy ? { createdBy: step.createdBy } : {}),
    ...(step?.created ? { created: step.created } : {}),
    ...(step?.comment ? { comment: step.comment } : {}),
  };
}

function referrerItem(r: ReferrerDescriptor): ReferrerItem {
  return { digest: r.digest, mediaType: r.mediaType, size: r.size, ...(r.artifactType ? { artifactType: r.artifactType } : {}), ...(r.annotations ? { annotations: r.annotations } : {}) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
