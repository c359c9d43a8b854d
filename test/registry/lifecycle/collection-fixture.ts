// An in-process registry with scheduled GC off (grace 0), its collector and its index
// writer, for tests that interleave a write's steps with a collection run.
import { GarbageCollector } from '../../../registry/src/gc/collector.js';
import { createLogger } from '../../../registry/src/log.js';
import { IndexWriter } from '../../../registry/src/write/index-writer.js';
import { startInProcessRegistry, type InProcessRegistry } from '../../harness/in-process-registry.js';

export interface CollectionFixture {
  readonly reg: InProcessRegistry;
  readonly collector: GarbageCollector;
  readonly indexWriter: IndexWriter;
}

export async function startCollectionFixture(): Promise<CollectionFixture> {
  const log = createLogger('silent');
  const reg = await startInProcessRegistry({ gc: { gracePeriodSeconds: 0, enabled: false } });
  const { services } = reg.running;
  return {
    reg,
    collector: new GarbageCollector(services.storage, services.index, log, services.metrics, services.writes.collection),
    indexWriter: new IndexWriter(services.index, services.storage, log),
  };
}
