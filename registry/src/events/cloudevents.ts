// CloudEvents 1.0, structured JSON mode: the envelope every webhook receives.
import { randomUUID } from 'node:crypto';

/**
 * What a webhook subscribes to; a kind may have actions (`cache` → `cache.filled`, `cache.tag-moved`).
 * `vulnerability`: an advisory newly found in a tagged image by a re-match against a newer database.
 */
export type EventKind = 'push' | 'pull' | 'delete' | 'quota-refused' | 'cache' | 'replication' | 'vulnerability';

export interface CloudEvent<T = unknown> {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly subject?: string;
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly data: T;
}

export const EVENT_TYPE_PREFIX = 'dev.berth.registry.';

export function cloudEvent<T>(kind: EventKind, source: string, subject: string | undefined, data: T, now = new Date(), action?: string): CloudEvent<T> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source,
    type: EVENT_TYPE_PREFIX + kind + (action ? `.${action}` : ''),
    ...(subject ? { subject } : {}),
    time: now.toISOString(),
    datacontenttype: 'application/json',
    data,
  };
}
