// The first schema: repositories, manifests and their references, blobs and layer
// links, tags and their history, pull times, and tables later features fill
// (scan results, signature verdicts, audit). docs/metadata.md explains each.
import type { Migration } from './migration.js';
import { columnTypes, identity } from '../engine/dialect.js';

export const initial: Migration = {
  version: 1,
  name: 'initial',
  async up(db, kind) {
    const t = columnTypes(kind);
    const s = db.schema;

    await s.createTable('repositories')
      .addColumn('name', t.key, (c) => c.primaryKey())
      .addColumn('created_at', t.bigint, (c) => c.notNull())
      .addColumn('last_push_at', t.bigint, (c) => c.notNull().defaultTo(0))
      .addColumn('origin', t.text, (c) => c.notNull().defaultTo('local'))
      .addColumn('tag_count', t.int, (c) => c.notNull().defaultTo(0))
      .addColumn('manifest_count', t.int, (c) => c.notNull().defaultTo(0))
      .addColumn('size_bytes', t.bigint, (c) => c.notNull().defaultTo(0))
      .execute();
    await s.createIndex('repositories_by_push').on('repositories').columns(['last_push_at', 'name']).execute();
    await s.createIndex('repositories_by_size').on('repositories').columns(['size_bytes', 'name']).execute();

    await s.createTable('manifests')
      .addColumn('repo', t.key, (c) => c.notNull())
      .addColumn('digest', t.key, (c) => c.notNull())
      .addColumn('media_type', t.text, (c) => c.notNull())
      .addColumn('artifact_type', t.text)
      .addColumn('size', t.bigint, (c) => c.notNull())
      .addColumn('config_digest', t.key)
      .addColumn('created', t.bigint)
      .addColumn('subject', t.key)
      .addColumn('annotations', t.text)
      .addColumn('platforms', t.text)
      .addColumn('pushed_at', t.bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('manifests_pk', ['repo', 'digest'])
      .execute();
    await s.createIndex('manifests_by_digest').on('manifests').columns(['digest']).execute();
    await s.createIndex('manifests_by_subject').on('manifests').columns(['repo', 'subject']).where('subject', 'is not', null).execute();

    await s.createTable('manifest_refs')
      .addColumn('repo', t.key, (c) => c.notNull())
      .addColumn('digest', t.key, (c) => c.notNull())
      .addColumn('kind', t.text, (c) => c.notNull())
      .addColumn('ref_digest', t.key, (c) => c.notNull())
      .addPrimaryKeyConstraint('manifest_refs_pk', ['repo', 'digest', 'kind', 'ref_digest'])
      .execute();
    await s.createIndex('manifest_refs_by_ref').on('manifest_refs').columns(['ref_digest']).execute();

    await s.createTable('blobs')
      .addColumn('digest', t.key, (c) => c.primaryKey())
      .addColumn('size', t.bigint, (c) => c.notNull())
      .execute();

    await s.createTable('layer_links')
      .addColumn('repo', t.key, (c) => c.notNull())
      .addColumn('digest', t.key, (c) => c.notNull())
      .addColumn('linked_at', t.bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('layer_links_pk', ['repo', 'digest'])
      .execute();
    await s.createIndex('layer_links_by_digest').on('layer_links').columns(['digest']).execute();

    await s.createTable('tags')
      .addColumn('repo', t.key, (c) => c.notNull())
      .addColumn('tag', t.key, (c) => c.notNull())
      .addColumn('digest', t.key, (c) => c.notNull())
      .addColumn('pushed_at', t.bigint, (c) => c.notNull())
      .addColumn('pushed_by', t.text)
      .addPrimaryKeyConstraint('tags_pk', ['repo', 'tag'])
      .execute();
    await s.createIndex('tags_by_digest').on('tags').columns(['repo', 'digest']).execute();

    await s.createTable('tag_history')
      .addColumn('id', identity(kind))
      .addColumn('repo', t.key, (c) => c.notNull())
      .addColumn('tag', t.key, (c) => c.notNull())
      .addColumn('digest', t.key)
      .addColumn('previous_digest', t.key)
      .addColumn('action', t.text, (c) => c.notNull())
      .addColumn('actor', t.text)
      .addColumn('at', t.bigint, (c) => c.notNull())
      .execute();
    await s.createIndex('tag_history_by_tag').on('tag_history').columns(['repo', 'tag', 'id']).execute();
    await s.createIndex('tag_history_by_repo').on('tag_history').columns(['repo', 'id']).execute();

    await s.createTable('pulls')
      .addColumn('repo', t.key, (c) => c.notNull())
      .addColumn('digest', t.key, (c) => c.notNull())
      .addColumn('tag', t.key, (c) => c.notNull())
      .addColumn('last_pulled_at', t.bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('pulls_pk', ['repo', 'digest', 'tag'])
      .execute();

    await s.createTable('scan_results')
      .addColumn('digest', t.key, (c) => c.primaryKey())
      .addColumn('db_digest', t.text, (c) => c.notNull())
      .addColumn('status', t.text, (c) => c.notNull())
      .addColumn('report', t.text)
      .addColumn('updated_at', t.bigint, (c) => c.notNull())
      .execute();

    await s.createTable('signature_verdicts')
      .addColumn('digest', t.key, (c) => c.notNull())
      .addColumn('keyset', t.key, (c) => c.notNull())
      .addColumn('verdict', t.text, (c) => c.notNull())
      .addColumn('updated_at', t.bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('signature_verdicts_pk', ['digest', 'keyset'])
      .execute();

    await s.createTable('audit')
      .addColumn('id', identity(kind))
      .addColumn('time', t.bigint, (c) => c.notNull())
      .addColumn('actor', t.key)
      .addColumn('action', t.key, (c) => c.notNull())
      .addColumn('repository', t.key)
      .addColumn('digest', t.key)
      .addColumn('tag', t.key)
      .addColumn('result', t.text, (c) => c.notNull())
      .addColumn('detail', t.text)
      .execute();
    await s.createIndex('audit_by_time').on('audit').columns(['time']).execute();
    await s.createIndex('audit_by_repository').on('audit').columns(['repository', 'id']).execute();
    await s.createIndex('audit_by_actor').on('audit').columns(['actor', 'id']).execute();
    await s.createIndex('audit_by_action').on('audit').columns(['action', 'id']).execute();
  },
};
