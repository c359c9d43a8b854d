// Copies images between two endpoints: an index's children (only the wanted
// platforms, when the rule names some) and an image's blobs first, its manifest
// after, its tag last, then its signatures, attestations and SBOMs (OCI referrers
// and cosign's `sha256-<hex>.sig/.att/.sbom` tags). Content the destination has
// is skipped, and because a manifest is written only after everything it
// references, a manifest that is there is complete: a rerun after an interruption
// resumes where the last one stopped. Blobs go a few at a time.
import { mapLimit } from '#contract/util/limit.js';
import type { Logger } from '../log.js';
import { INDEXES } from '../manifest/media-types.js';
import { parseDigest, type Digest } from '../reference.js';
import type { ImageDestination, ImageSource, SourceManifest } from './endpoints.js';

export interface CopyCounts {
  manifests: number;
  blobs: number;
  bytes: number;
  /** Manifests and blobs the destination already had. */
  skipped: number;
}

export interface CopyOptions {
  /** `os/architecture[/variant]`; empty copies every platform. */
  readonly platforms: readonly string[];
  readonly concurrency: number;
  readonly referrers: boolean;
}

interface ChildDescriptor {
  readonly digest: string;
  readonly size?: number;
  readonly platform?: { os?: string; architecture?: string; variant?: string };
}

const COSIGN_SUFFIXES = ['sig', 'att', 'sbom'];

export class Copier {
  readonly counts: CopyCounts = { manifests: 0, blobs: 0, bytes: 0, skipped: 0 };

  constructor(private readonly source: ImageSource, private readonly destination: ImageDestination,
    private readonly options: CopyOptions, private readonly log: Logger) {}

  /** Copies `srcRepo:tag` to `dstRepo:tag`; false when the source has no such tag. */
  async copyTag(srcRepo: string, dstRepo: string, tag: string): Promise<boolean> {
    const top = await this.source.manifest(srcRepo, tag);
    if (!top) return false;
    await this.copyManifest(srcRepo, dstRepo, top);
    if ((await this.destination.tagDigest(dstRepo, tag)) !== top.digest.value) {
      await this.destination.putManifest(dstRepo, tag, top);
      this.counts.manifests++;
    }
    return true;
  }

  /** Copies one manifest by digest (a referrer pushed on its own), with what it references. */
  async copyDigest(srcRepo: string, dstRepo: string, digest: Digest): Promise<boolean> {
    const m = await this.source.manifest(srcRepo, digest.value);
    if (!m) return false;
    await this.copyManifest(srcRepo, dstRepo, m, false);
    return true;
  }

  /** `withReferrers`: also the manifest's signatures (not for the signatures themselves). */
  private async copyManifest(srcRepo: string, dstRepo: string, m: SourceManifest, withReferrers = true): Promise<void> {
    const doc = JSON.parse(m.body.toString('utf8')) as { mediaType?: string; manifests?: ChildDescriptor[]; config?: ChildDescriptor; layers?: ChildDescriptor[]; blobs?: ChildDescriptor[] };
    const isIndex = INDEXES.has(m.mediaType) || Array.isArray(doc.manifests);
    const present = await this.destination.hasManifest(dstRepo, m.digest);
    // An index is walked even when present: the wanted platforms may have changed since.
    if (present && !isIndex) {
      this.counts.skipped++;
    } else {
      if (isIndex) {
        for (const child of (doc.manifests ?? []).filter((c) => this.wanted(c))) {
          const d = parseDigest(child.digest);
          const body = d && (await this.source.manifest(srcRepo, d.value));
          if (!body) throw new Error(`${srcRepo}@${child.digest}: an index child the source does not have`);
          await this.copyManifest(srcRepo, dstRepo, body);
        }
      } else {
        const blobs = [doc.config, ...(doc.layers ?? []), ...(doc.blobs ?? [])].filter((b): b is ChildDescriptor => b !== undefined);
        // Every blob is tried before a failure ends the image: nothing is left copying after the run.
        const failures: unknown[] = [];
        await mapLimit(blobs, this.options.concurrency, (b) => this.copyBlob(srcRepo, dstRepo, b).catch((err) => { failures.push(err); }));
        if (failures.length) throw failures[0];
      }
      if (present) this.counts.skipped++;
      else {
        await this.destination.putManifest(dstRepo, m.digest.value, m);
        this.counts.manifests++;
      }
    }
    if (withReferrers && this.options.referrers) await this.copyReferrers(srcRepo, dstRepo, m.digest);
  }

  private async copyBlob(srcRepo: string, dstRepo: string, b: ChildDescriptor): Promise<void> {
    const d = parseDigest(b.digest);
    if (!d) throw new Error(`${srcRepo}: malformed blob digest ${b.digest}`);
    if (await this.destination.hasBlob(dstRepo, d)) {
      this.counts.skipped++;
      return;
    }
    await this.destination.putBlob(dstRepo, d, b.size ?? 0, () => this.source.blob(srcRepo, d));
    this.counts.blobs++;
    this.counts.bytes += b.size ?? 0;
  }

  /** Signatures, attestations and SBOMs of a copied manifest: OCI referrers and cosign's tag scheme. */
  private async copyReferrers(srcRepo: string, dstRepo: string, subject: Digest): Promise<void> {
    for (const r of await this.source.referrers(srcRepo, subject)) {
      const d = parseDigest(r.digest);
      const m = d && (await this.source.manifest(srcRepo, d.value));
      if (m) await this.copyManifest(srcRepo, dstRepo, m, false);
    }
    for (const suffix of COSIGN_SUFFIXES) {
      const tag = `${subject.algorithm}-${subject.hex}.${suffix}`;
      const m = await this.source.manifest(srcRepo, tag);
      if (!m) continue;
      await this.copyManifest(srcRepo, dstRepo, m, false);
      if ((await this.destination.tagDigest(dstRepo, tag)) !== m.digest.value) {
        await this.destination.putManifest(dstRepo, tag, m);
        this.counts.manifests++;
      }
      this.log.debug({ msg: 'copied a cosign artifact', repository: dstRepo, tag });
    }
  }

  private wanted(child: ChildDescriptor): boolean {
    if (!this.options.platforms.length) return true;
    const p = child.platform;
    if (!p?.os || !p.architecture) return false;
    return this.options.platforms.some((want) => {
      const [os, arch, variant] = want.split('/');
      return os === p.os && arch === p.architecture && (variant === undefined || variant === p.variant);
    });
  }
}
