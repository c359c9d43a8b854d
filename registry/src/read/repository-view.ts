// Repositories as the browsing API shows them, answered from the metadata index
// and filtered by what the caller may pull: the list (search, sort, cursor), one
// repository (usage against its quotas, counts, cache origin, what the caller may
// do), and a page of its tags with per-tag sizes and badges (referrers by kind, signature
// verdict, vulnerability summary), each page a fixed number of index reads.
import type { Grant } from '../auth/access.js';
import { Code, RegistryError } from '../errors.js';
import type { MetadataIndex } from '../metadata/index.js';
import type { PlatformSize } from '../metadata/index.js';
import type { Page, Platform, RepositorySort, RepositoryStatus, TagInfo } from '../metadata/types.js';
import type { QuotaGate } from '../policy/quota-gate.js';
import type { RepositorySettings } from '../policy/repository-settings.js';
import { categoryOf, cosignTags, isCosignTag, type ArtifactCategory } from './artifact-kinds.js';
import { signatureStatus, vulnerabilitySummary, type SignatureStatus, type VulnerabilitySummary } from './supply-chain.js';

/** Who is looking: what they may pull decides what exists for them. */
export type Viewer = Pick<Grant, 'sees' | 'can' | 'unrestricted' | 'administrator' | 'subject'>;

export interface RepositorySummary {
  readonly name: string;
  readonly createdAt: number;
  readonly lastPushAt?: number;
  readonly tagCount: number;
  readonly manifestCount: number;
  readonly sizeBytes: number;
  /** `local`, or `cache:<upstream>` for a pull-through cache. */
  readonly origin: string;
  /** Set for a pull-through cache's repository. */
  readonly cache?: { readonly upstream: string };
}

export interface RepositoryDetail extends RepositorySummary {
  readonly quotas: Array<{ readonly scope: string; readonly limitBytes: number; readonly usedBytes: number }>;
  /** Tag patterns that cannot be moved or deleted once they exist. */
  readonly immutableTags: string[];
  /** What the caller's credentials allow here (a narrower token than the policy shows less). */
  readonly access: { readonly pull: boolean; readonly push: boolean; readonly delete: boolean };
}

export interface TagRow {
  readonly tag: string;
  readonly digest: string;
  readonly mediaType?: string;
  readonly artifactType?: string;
  readonly category: ArtifactCategory;
  /** The manifest's own bytes. */
  readonly size?: number;
  /** An image's config + layers (compressed); an index's distinct blobs over its platforms. */
  readonly imageSize?: number;
  /** An index's platforms with each image's size. */
  readonly platformSizes?: PlatformSize[];
  readonly created?: number;
  readonly pushedAt: number;
  readonly pushedBy?: string;
  readonly lastPulledAt?: number;
  readonly platforms?: Platform[];
  /** Referrers of the tag's manifest by kind, cosign's tag-attached ones included. */
  readonly referrers: Partial<Record<ArtifactCategory, number>>;
  readonly signature?: Pick<SignatureStatus, 'signed' | 'identities'>;
  readonly vulnerabilities?: VulnerabilitySummary;
  /** True when the tag is one of cosign's (`sha256-<hex>.sig`): it names the artifact it attaches to. */
  readonly accessory?: boolean;
  /** True when the tag matches an immutable pattern. */
  readonly immutable?: boolean;
}

export const TAG_PAGE_DEFAULT = 50;
export const TAG_PAGE_MAX = 100;

function summary(r: RepositoryStatus): RepositorySummary {
  return {
    name: r.name, createdAt: r.createdAt, tagCount: r.tagCount, manifestCount: r.manifestCount, sizeBytes: r.sizeBytes, origin: r.origin,
    ...(r.lastPushAt ? { lastPushAt: r.lastPushAt } : {}),
    ...(r.origin.startsWith('cache:') ? { cache: { upstream: r.origin.slice('cache:'.length) } } : {}),
  };
}

export class RepositoryView {
  constructor(
    private readonly index: MetadataIndex,
    private readonly quota: QuotaGate,
    private readonly settings: RepositorySettings,
  ) {}

  async list(viewer: Viewer, query: { search?: string; sort?: RepositorySort; cursor?: string; limit?: number }): Promise<Page<RepositorySummary>> {
    const filter = viewer.unrestricted || viewer.administrator ? undefined : (name: string) => viewer.sees(name);
    const page = await this.index.repositories({ ...query, filter });
    return { items: page.items.map(summary), ...(page.next ? { next: page.next } : {}) };
  }

  /** The repository when the viewer may pull it; NAME_UNKNOWN otherwise (as for one that does not exist). */
  async status(viewer: Viewer, name: string): Promise<RepositoryStatus> {
    const status = viewer.sees(name) ? await this.index.repositoryStatus(name) : undefined;
    if (!status) throw new RegistryError(Code.NAME_UNKNOWN, { name });
    return status;
  }

  async detail(viewer: Viewer, name: string): Promise<RepositoryDetail> {
    const status = await this.status(viewer, name);
    const scopes = new Set(this.quota.scopesOf(name));
    const quotas = scopes.size ? (await this.quota.status()).filter((q) => scopes.has(q.scope)) : [];
    const immutableTags = [...new Set(this.settings.immutablePatterns(name))];
    return {
      ...summary(status),
      quotas: quotas.map((q) => ({ scope: q.scope, limitBytes: q.limitBytes, usedBytes: q.usedBytes })),
      immutableTags,
      access: {
        pull: true,
        push: viewer.can('repository', name, 'push'),
        delete: viewer.can('repository', name, 'delete'),
      },
    };
  }

  /** A page of tags after `last` with sizes and badges: a fixed number of index reads whatever the repository's size. */
  async tags(viewer: Viewer, name: string, query: { last?: string; limit?: number }): Promise<Page<TagRow>> {
    await this.status(viewer, name);
    const limit = Math.min(Math.max(query.limit ?? TAG_PAGE_DEFAULT, 1), TAG_PAGE_MAX);
    const page = await this.index.tagPage(name, { n: limit, last: query.last });
    const rows = await this.rows(name, page.items);
    return { items: rows, ...(page.next ? { next: page.next } : {}) };
  }

  /** Tag rows with badges, for the tags of one repository. */
  async rows(name: string, tags: readonly TagInfo[]): Promise<TagRow[]> {
    const digests = [...new Set(tags.map((t) => t.digest))];
    const [counts, attached, scans, verdicts, sizes] = await Promise.all([
      this.index.referrerCounts(name, digests),
      this.index.existingTags(name, digests.flatMap((d) => cosignTags(d).map((c) => c.tag))),
      this.index.scanResults(digests),
      this.index.signatureVerdicts(name, digests),
      this.index.imageSizes(name, digests),
    ]);
    return tags.map((t) => {
      const referrers: Partial<Record<ArtifactCategory, number>> = {};
      for (const c of counts.get(t.digest) ?? []) {
        const kind = categoryOf(c.artifactType);
        referrers[kind] = (referrers[kind] ?? 0) + c.count;
      }
      for (const c of cosignTags(t.digest)) if (attached.has(c.tag)) referrers[c.category] = (referrers[c.category] ?? 0) + 1;
      const scan = scans.get(t.digest);
      const verdict = verdicts.get(t.digest);
      const signature = verdict ? signatureStatus(verdict) : undefined;
      const size = sizes.get(t.digest);
      return {
        tag: t.tag,
        digest: t.digest,
        pushedAt: t.pushedAt,
        category: categoryOf(t.artifactType ?? t.mediaType),
        referrers,
        ...(t.mediaType ? { mediaType: t.mediaType } : {}),
        ...(t.artifactType ? { artifactType: t.artifactType } : {}),
        ...(t.size !== undefined ? { size: t.size } : {}),
        ...(size ? { imageSize: size.bytes } : {}),
        ...(size?.platforms ? { platformSizes: size.platforms } : {}),
        ...(t.created !== undefined ? { created: t.created } : {}),
        ...(t.pushedBy ? { pushedBy: t.pushedBy } : {}),
        ...(t.lastPulledAt !== undefined ? { lastPulledAt: t.lastPulledAt } : {}),
        ...(t.platforms?.length ? { platforms: t.platforms } : {}),
        ...(signature ? { signature: { signed: signature.signed, identities: signature.identities } } : {}),
        ...(scan ? { vulnerabilities: vulnerabilitySummary(scan) } : {}),
        ...(isCosignTag(t.tag) ? { accessory: true } : {}),
        ...(this.settings.immutablePattern(name, t.tag) ? { immutable: true } : {}),
      };
    });
  }
}
