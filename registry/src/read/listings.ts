// Listings answered from the metadata index in time proportional to the page:
// the catalog (only what the caller may pull), a repository's tags (with or
// without per-tag metadata) and a subject's referrers. With the database down they
// fail as unavailable (503), never with a partial list.
import { Code, RegistryError } from '../errors.js';
import type { MetadataIndex } from '../metadata/index.js';
import type { ReferrerDescriptor, TagInfo } from '../metadata/types.js';

export interface PageQuery {
  /** Page size; 0 asks for an empty page. */
  readonly n?: number;
  /** Names after this one. */
  readonly last?: string;
}

export interface NamePage<T = string> {
  readonly items: T[];
  /** The `last` of the next page, when one follows. */
  readonly next?: string;
}

/** Referrers listed per index page; a subject's referrers are read to the end. */
const REFERRER_PAGE = 1000;

export class Listings {
  constructor(private readonly index: MetadataIndex) {}

  /** Repository names after `last`, limited to those `visible` allows (the caller's pull rights). */
  async catalog(query: PageQuery, visible?: (name: string) => boolean): Promise<NamePage> {
    if (query.n === 0) return { items: [] };
    return this.index.catalog({ n: query.n, last: query.last, filter: visible });
  }

  /** Tag names after `last`; NAME_UNKNOWN for a repository with neither tags nor manifests. */
  async tags(repo: string, query: PageQuery): Promise<NamePage> {
    await this.known(repo);
    if (query.n === 0) return { items: [] };
    return this.index.tagNames(repo, { n: query.n, last: query.last });
  }

  /** Tags after `last` with digest, media type, size, created, platforms, push and last pull. */
  async tagDetails(repo: string, query: PageQuery): Promise<NamePage<TagInfo>> {
    await this.known(repo);
    if (query.n === 0) return { items: [] };
    const page = await this.index.tagPage(repo, { n: query.n, last: query.last });
    return { items: page.items, next: page.next };
  }

  async referrers(repo: string, subject: string, artifactType?: string): Promise<ReferrerDescriptor[]> {
    const out: ReferrerDescriptor[] = [];
    for (let after: string | undefined; ;) {
      const page = await this.index.referrers(repo, subject, { artifactType, limit: REFERRER_PAGE, after });
      out.push(...page.items);
      if (!page.next) return out;
      after = page.next;
    }
  }

  private async known(repo: string): Promise<void> {
    const status = await this.index.repositoryStatus(repo);
    if (!status || (status.tagCount === 0 && status.manifestCount === 0)) throw new RegistryError(Code.NAME_UNKNOWN, { name: repo });
  }
}
