// Supply-chain results. The tables 0001 reserved (scan_results keyed by digest
// alone, signature_verdicts without a repository) had no writer yet; they are
// recreated with the keys results need:
//   inventories            what an image holds, per manifest digest (never changes)
//   scan_results           findings per (manifest digest, database)
//   known_vulnerabilities  each (digest, advisory) once: the first sighting, and
//                          whether it was announced (found by a re-match, not the push)
//   signature_verdicts     per (repository, digest, key set)
import { columnTypes, identity } from '../engine/dialect.js';
import type { Migration } from './migration.js';

export const supplyChain: Migration = {
  version: 3,
  name: 'supply-chain',
  async up(db, kind) {
    const t = columnTypes(kind);
    const s = db.schema;
    await s.dropTable('scan_results').execute();
    await s.dropTable('signature_verdicts').execute();

    await s.createTable('inventories')
      .addColumn('digest', t.key, (c) => c.primaryKey())
      .addColumn('kind', t.text, (c) => c.notNull())
      .addColumn('source', t.text, (c) => c.notNull())
      .addColumn('indexer', t.text, (c) => c.notNull())
      .addColumn('sbom_digest', t.key)
      .addColumn('platform', t.text)
      .addColumn('children', t.text)
      .addColumn('body', t.text)
      .addColumn('created_at', t.bigint, (c) => c.notNull())
      .execute();
    await s.createIndex('inventories_by_kind').on('inventories').columns(['kind', 'digest']).execute();

    await s.createTable('scan_results')
      .addColumn('digest', t.key, (c) => c.notNull())
      .addColumn('db_digest', t.key, (c) => c.notNull())
      .addColumn('status', t.text, (c) => c.notNull())
      .addColumn('report', t.text)
      .addColumn('updated_at', t.bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('scan_results_pk', ['digest', 'db_digest'])
      .execute();
    await s.createIndex('scan_results_by_db').on('scan_results').columns(['db_digest', 'digest']).execute();

    await s.createTable('known_vulnerabilities')
      .addColumn('id', identity(kind))
      .addColumn('digest', t.key, (c) => c.notNull())
      .addColumn('vuln_id', t.key, (c) => c.notNull())
      .addColumn('severity', t.text, (c) => c.notNull())
      .addColumn('package', t.text, (c) => c.notNull())
      .addColumn('db_digest', t.key, (c) => c.notNull())
      .addColumn('announced', t.int, (c) => c.notNull())
      .addColumn('first_seen', t.bigint, (c) => c.notNull())
      .execute();
    await s.createIndex('known_vulnerabilities_pair').unique().on('known_vulnerabilities').columns(['digest', 'vuln_id']).execute();

    await s.createTable('signature_verdicts')
      .addColumn('repo', t.key, (c) => c.notNull())
      .addColumn('digest', t.key, (c) => c.notNull())
      .addColumn('keyset', t.key, (c) => c.notNull())
      .addColumn('signed', t.int, (c) => c.notNull())
      .addColumn('verdict', t.text, (c) => c.notNull())
      .addColumn('updated_at', t.bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('signature_verdicts_pk', ['repo', 'digest', 'keyset'])
      .execute();
  },
};
