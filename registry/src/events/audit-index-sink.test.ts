import { Writable } from 'node:stream';
import { createLogger } from '../log.js';
import type { AuditEntry as IndexAuditEntry } from '../metadata/types.js';
import { BATCH_MS, IndexAuditSink } from './audit-index-sink.js';
import type { AuditEntry } from './audit-log.js';

const quiet = () => createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));
const entry = (n: number): AuditEntry => ({ time: new Date(1_796_000_000_000 + n).toISOString(), actor: 'ci', action: 'manifest.push', repository: 'a/b', tag: `t${n}`, result: 'success' });

class Store {
  readonly batches: IndexAuditEntry[][] = [];
  failures = 0;
  async appendAudit(entries: readonly IndexAuditEntry[]): Promise<void> {
    await new Promise((r) => setImmediate(r));
    if (this.failures > 0) {
      this.failures--;
      throw new Error('index down');
    }
    this.batches.push([...entries]);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits for `done`, polling; a slow machine delays it but does not fail it. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await sleep(10);
}

describe('audit records into the index', () => {
  test('records of one burst share one transaction, written about BATCH_MS after the first', async () => {
    const store = new Store();
    const sink = new IndexAuditSink(store, quiet());
    sink.record(entry(1));
    await sleep(1);
    sink.record(entry(2));
    sink.record(entry(3));
    expect(store.batches).toEqual([]);
    await until(() => store.batches.length > 0);
    expect(store.batches.map((b) => b.map((e) => e.tag))).toEqual([['t1', 't2', 't3']]);
    // A record during the write goes in the next batch.
    sink.record(entry(4));
    await sink.close();
    expect(store.batches.map((b) => b.map((e) => e.tag))).toEqual([['t1', 't2', 't3'], ['t4']]);
  });

  test('flush writes what is queued without waiting out the window', async () => {
    const store = new Store();
    const sink = new IndexAuditSink(store, quiet(), 60_000); // a window the test would time out in
    sink.record(entry(1));
    await sink.flush();
    expect(store.batches).toHaveLength(1);
    await sink.close();
  });

  test('a full batch is written at once, without waiting out the window', async () => {
    const store = new Store();
    const sink = new IndexAuditSink(store, quiet(), 60_000);
    for (let i = 0; i < 500; i++) sink.record(entry(i));
    await until(() => store.batches.length > 0);
    expect(store.batches.map((b) => b.length)).toEqual([500]);
    await sink.close();
  });

  test('a failed write is retried, losing nothing', async () => {
    const store = new Store();
    const sink = new IndexAuditSink(store, quiet());
    store.failures = 1;
    sink.record(entry(1));
    await until(() => store.failures === 0);
    await sleep(BATCH_MS); // the write failed; the retry waits RETRY_MS (5 s)
    expect(store.batches).toHaveLength(0);
    await sink.close(); // closing retries at once
    expect(store.batches.map((b) => b.map((e) => e.tag))).toEqual([['t1']]);
  });
});
