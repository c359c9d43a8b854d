// The referrers index: for each subject digest, one entry per manifest whose
// `subject` names it, holding the descriptor the referrers API returns.
import { parseDigest, type Digest } from '../reference.js';
import { isNotFound, listOrEmpty, type StorageDriver } from './driver/driver.js';
import { baseName, paths } from './paths.js';

export interface ReferrerDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
}

export class ReferrerStore {
  constructor(private readonly driver: StorageDriver) {}

  async add(repo: string, subject: Digest, digest: Digest,
    meta: { mediaType: string; size: number; artifactType?: string; annotations?: Record<string, string> }): Promise<void> {
    const descriptor: ReferrerDescriptor = {
      mediaType: meta.mediaType,
      digest: digest.value,
      size: meta.size,
      ...(meta.artifactType ? { artifactType: meta.artifactType } : {}),
      ...(meta.annotations && Object.keys(meta.annotations).length ? { annotations: meta.annotations } : {}),
    };
    await this.driver.putContent(paths.referrer(repo, subject, digest), JSON.stringify(descriptor));
  }

  async remove(repo: string, subject: Digest, digest: Digest): Promise<void> {
    try {
      await this.driver.delete(paths.referrer(repo, subject, digest));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async list(repo: string, subject: Digest, artifactType?: string): Promise<ReferrerDescriptor[]> {
    const entries = await listOrEmpty(this.driver, paths.referrers(repo, subject));
    const out: ReferrerDescriptor[] = [];
    for (const entry of entries) {
      if (!parseDigest(baseName(entry).replace('-', ':'))) continue;
      try {
        const d = JSON.parse((await this.driver.getContent(entry)).toString('utf8')) as ReferrerDescriptor;
        if (!artifactType || d.artifactType === artifactType) out.push(d);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return out;
  }
}
