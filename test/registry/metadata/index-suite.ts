// The one test suite both index engines run unchanged (sqlite.test.ts,
// postgres.test.ts): every API method, pagination edges, usage with shared
// digests, GC mark, migrations. Each test gets an empty database.
import { MetadataIndex } from '../../../registry/src/metadata/index.js';
import type { IndexUnderTest } from './fixtures.js';
import { contentTests } from './suite/content.js';
import { gcTests } from './suite/gc.js';
import { heldContentTests } from './suite/held-content.js';
import { imageSizeTests } from './suite/image-sizes.js';
import { listingTests } from './suite/listings.js';
import { gcRunTests, intentTests } from './suite/intents.js';
import { migrationTests } from './suite/migrations.js';
import { pullAuditTests } from './suite/pulls-audit.js';
import { securityTests } from './suite/security.js';
import { tagTests } from './suite/tags.js';

export interface SuiteContext {
  /** The index open on this test's database. */
  index(): MetadataIndex;
  subject(): IndexUnderTest;
  /** Opens another instance on the same database (closed after the test). */
  openAnother(): Promise<MetadataIndex>;
}

export function runIndexSuite(name: string, fresh: () => Promise<IndexUnderTest>): void {
  describe(`metadata index suite: ${name}`, () => {
    let subject: IndexUnderTest;
    let index: MetadataIndex;
    const extra: MetadataIndex[] = [];

    beforeEach(async () => {
      subject = await fresh();
      index = await MetadataIndex.open(subject.options);
    });

    afterEach(async () => {
      for (const i of extra.splice(0)) await i.close();
      await index.close();
      await subject.cleanup();
    });

    const ctx: SuiteContext = {
      index: () => index,
      subject: () => subject,
      openAnother: async () => {
        const i = await MetadataIndex.open(subject.options);
        extra.push(i);
        return i;
      },
    };

    describe('migrations', () => migrationTests(ctx));
    describe('manifests, blobs and repositories', () => contentTests(ctx));
    describe('tags and history', () => tagTests(ctx));
    describe('listings', () => listingTests(ctx));
    describe('image sizes', () => imageSizeTests(ctx));
    describe('usage and garbage collection', () => gcTests(ctx));
    describe('content held under a prefix (cache budgets)', () => heldContentTests(ctx));
    describe('pulls, audit and invalidations', () => pullAuditTests(ctx));
    describe('the write journal', () => intentTests(ctx));
    describe('announced collection runs', () => gcRunTests(ctx));
    describe('supply-chain results', () => securityTests(ctx));
  });
}
