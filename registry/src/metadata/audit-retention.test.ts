import { jest } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger } from '../log.js';
import { AuditRetention, SLICE } from './audit-retention.js';
import { MetadataIndex } from './index.js';
import type { AuditPruning } from './writes/audit.js';

const log = createLogger('silent', new Writable({ write: (_c, _e, done) => done() }));
const DAY = 86_400_000;

describe('AuditRetention', () => {
  let index: MetadataIndex;

  beforeEach(async () => {
    index = await MetadataIndex.open({ engine: { engine: 'sqlite', path: ':memory:' } });
  });

  afterEach(async () => {
    await index.close();
  });

  async function times(): Promise<number[]> {
    const out: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await index.audit({ limit: 1000, cursor });
      out.push(...page.items.map((e) => e.time));
      cursor = page.next;
    } while (cursor);
    return out;
  }

  test('keeps the newest maxRecords, deleting in slices with the event loop free between them', async () => {
    const now = 100 * DAY;
    await index.appendAudit(Array.from({ length: 2 * SLICE + 500 }, (_, i) => ({ time: now - 1000 + i, action: 'push', result: 'ok' })));
    const slices: number[] = [];
    let turns = 0;
    const table = {
      pruneAudit: async (p: AuditPruning) => {
        const n = await index.pruneAudit(p);
        slices.push(n);
        setImmediate(() => { turns++; });
        return n;
      },
    };
    const retention = new AuditRetention(table, { maxAgeSeconds: 0, maxRecords: 300, pruneIntervalSeconds: 60 }, log, () => now);
    expect(await retention.prune()).toBe(2 * SLICE + 200);
    expect(slices).toEqual([SLICE, SLICE, 200, 0]);
    // A callback queued during each slice ran before the next one started.
    expect(turns).toBeGreaterThanOrEqual(3);
    const left = await times();
    expect(left).toHaveLength(300);
    expect(left[0]).toBe(now - 1000 + 2 * SLICE + 499);
  });

  test('prunes records older than maxAgeSeconds', async () => {
    const now = 100 * DAY;
    await index.appendAudit([40, 31, 30, 29, 1].map((days) => ({ time: now - days * DAY + 1, action: 'pull', result: 'ok' })));
    const retention = new AuditRetention(index, { maxAgeSeconds: 30 * 86_400, maxRecords: 0, pruneIntervalSeconds: 60 }, log, () => now);
    expect(await retention.prune()).toBe(2);
    expect(await times()).toEqual([1, 29, 30].map((days) => now - days * DAY + 1));
  });

  test('with both limits at 0 it is off and never touches the table', async () => {
    let calls = 0;
    const retention = new AuditRetention({ pruneAudit: async () => { calls++; return 0; } },
      { maxAgeSeconds: 0, maxRecords: 0, pruneIntervalSeconds: 1 }, log);
    expect(retention.enabled).toBe(false);
    retention.start();
    expect(await retention.prune()).toBe(0);
    await retention.stop();
    expect(calls).toBe(0);
  });

  test('the timer prunes on its interval, and stop waits for a prune under way', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
    try {
      const asked: AuditPruning[] = [];
      let release!: () => void;
      const blocked = new Promise<void>((resolve) => { release = resolve; });
      const table = {
        pruneAudit: async (p: AuditPruning) => {
          asked.push(p);
          await blocked;
          return 0;
        },
      };
      const retention = new AuditRetention(table, { maxAgeSeconds: 60, maxRecords: 10, pruneIntervalSeconds: 5 }, log, () => 1_000_000);
      retention.start();
      jest.advanceTimersByTime(4_999);
      expect(asked).toHaveLength(0);
      jest.advanceTimersByTime(1);
      expect(asked).toEqual([{ before: 1_000_000 - 60_000, keep: 10, limit: SLICE }]);
      // A tick while the prune runs starts no second one.
      jest.advanceTimersByTime(5_000);
      expect(asked).toHaveLength(1);
      let stopped = false;
      const stopping = retention.stop().then(() => { stopped = true; });
      await new Promise((r) => setImmediate(r));
      expect(stopped).toBe(false);
      release();
      await stopping;
      expect(stopped).toBe(true);
      jest.advanceTimersByTime(20_000);
      expect(asked).toHaveLength(1);
    } finally {
      jest.useRealTimers();
    }
  });
});
