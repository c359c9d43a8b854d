// Which answer a failure below HTTP gets: the index's disk filling up is answered
// like full storage (507, retry once space is freed), any other index outage 503.
import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { createLogger } from '../log.js';
import { MetadataUnavailableError } from '../metadata/errors.js';
import { statusOf, toRegistryError } from './errors.js';

const log = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));
const req = { destroyed: false } as IncomingMessage;
const answer = (err: unknown) => {
  const e = toRegistryError(err, req, log, {})!;
  return { status: statusOf(e), code: e.toJSON().code, retryAfter: e.headers['Retry-After'] };
};
const failure = (code: string) => Object.assign(new Error(code), { code });

test('index failures: a full disk is 507, an outage 503, each with Retry-After', () => {
  expect(answer(new MetadataUnavailableError('sqlite', failure('SQLITE_FULL')))).toEqual({ status: 507, code: 'UNAVAILABLE', retryAfter: '30' });
  expect(answer(new MetadataUnavailableError('postgres', failure('53100')))).toEqual({ status: 507, code: 'UNAVAILABLE', retryAfter: '30' });
  expect(answer(new MetadataUnavailableError('sqlite', failure('SQLITE_BUSY')))).toEqual({ status: 503, code: 'UNAVAILABLE', retryAfter: '5' });
  expect(answer(new MetadataUnavailableError('postgres', failure('53300')))).toEqual({ status: 503, code: 'UNAVAILABLE', retryAfter: '5' });
  expect(answer(new MetadataUnavailableError('postgres', failure('SQLITE_FULL')))).toEqual({ status: 503, code: 'UNAVAILABLE', retryAfter: '5' });
});
