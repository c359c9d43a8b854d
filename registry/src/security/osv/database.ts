// An in-memory vulnerability database: OSV documents indexed by
// (ecosystem base, package name) so one package costs one map lookup.
import { ecosystemsMatch, normalizeName, parseEcosystem } from './ecosystem.js';
import { isOsvVulnerability, type OsvAffected, type OsvVulnerability } from './schema.js';
import { readZipJsonEntries } from './zip.js';

export interface Candidate {
  readonly vuln: OsvVulnerability;
  readonly affected: OsvAffected;
}

export interface VulnDatabaseInfo {
  /** Content address of the database (the OCI manifest digest of the DB artifact), part of every result's key. */
  readonly digest: string;
  /** When the newest document was modified: the DB's age for freshness checks. */
  readonly newestModified?: string;
  readonly ecosystems: readonly string[];
  readonly documents: number;
  readonly withdrawn: number;
  /** Entries that were not OSV documents (bad JSON or shape): counted, never silently matched. */
  readonly rejected: number;
}

/** Bound on memoized per-package results; a real registry holds far fewer distinct packages. */
const MEMO_LIMIT = 500_000;

export class VulnDatabase {
  private readonly index = new Map<string, Candidate[]>();
  private readonly memo = new Map<string, unknown>();
  private readonly ecosystems = new Set<string>();
  private documents = 0;
  private withdrawn = 0;
  private rejected = 0;
  private newestModified = '';

  constructor(readonly digest: string) {}

  /** Adds one document. Withdrawn advisories are kept out: the schema says they no longer apply. */
  add(doc: unknown): void {
    if (!isOsvVulnerability(doc)) {
      this.rejected++;
      return;
    }
    this.documents++;
    if (doc.modified > this.newestModified) this.newestModified = doc.modified;
    if (doc.withdrawn) {
      this.withdrawn++;
      return;
    }
    for (const affected of doc.affected ?? []) {
      if (!affected.package?.ecosystem || !affected.package.name) continue;
      const { base } = parseEcosystem(affected.package.ecosystem);
      this.ecosystems.add(base);
      const key = `${base}\0${normalizeName(base, affected.package.name)}`;
      let list = this.index.get(key);
      if (!list) this.index.set(key, (list = []));
      list.push({ vuln: doc, affected });
    }
  }

  addJson(content: Buffer | string): void {
    try {
      this.add(JSON.parse(content.toString()));
    } catch {
      this.rejected++;
    }
  }

  /** Adds every document of an all.zip. */
  async addZip(zip: Buffer): Promise<void> {
    await readZipJsonEntries(zip, (e) => this.addJson(e.content));
  }

  /** The affected entries that name this package in a matching ecosystem. */
  candidates(ecosystem: string, name: string): Candidate[] {
    const { base } = parseEcosystem(ecosystem);
    const list = this.index.get(`${base}\0${normalizeName(base, name)}`);
    return list ? list.filter((c) => ecosystemsMatch(c.affected.package!.ecosystem, ecosystem)) : [];
  }

  /**
   * A result that depends only on `key` and this database, computed once: a
   * package shared by a thousand images is matched once per database.
   */
  remember<T>(key: string, compute: () => T): T {
    if (this.memo.has(key)) return this.memo.get(key) as T;
    const value = compute();
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(key, value);
    return value;
  }

  info(): VulnDatabaseInfo {
    return {
      digest: this.digest,
      newestModified: this.newestModified || undefined,
      ecosystems: [...this.ecosystems].sort(),
      documents: this.documents,
      withdrawn: this.withdrawn,
      rejected: this.rejected,
    };
  }
}
