// The reason phrase carries an error's own message (what containerd, and so the
// kubelet's events, show of a refused HEAD), and Node writes it on the wire.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Code, RegistryError } from '../errors.js';
import { createLogger } from '../log.js';
import { renderError } from './errors.js';
import { MAX_REASON_PHRASE, reasonPhrase } from './reason-phrase.js';

const denied = (message: string) => new RegistryError(Code.DENIED, { reason: 'x' }, {}, message);

test('an error with its own message: the standard phrase, then the message', () => {
  expect(reasonPhrase(denied('pull of a/b@sha256:1 refused by requireSignature (credential rule r): not signed'), 403))
    .toBe('Forbidden: pull of a/b@sha256:1 refused by requireSignature (credential rule r): not signed');
});

test('an error with only its code\'s message keeps the standard phrase', () => {
  expect(reasonPhrase(new RegistryError(Code.MANIFEST_UNKNOWN, { tag: 'v1' }), 404)).toBe('Not Found');
});

test('line breaks, control characters and non-ASCII never reach the status line; the phrase is bounded', () => {
  expect(reasonPhrase(denied('a\r\nb\tc\u0000d é'), 403)).toBe('Forbidden: a b c?d ?');
  const long = reasonPhrase(denied('x'.repeat(5000)), 403);
  expect(long).toHaveLength(MAX_REASON_PHRASE);
  expect(long.endsWith('...')).toBe(true);
});

test('renderError sends it on HEAD (no body) and GET alike', async () => {
  const log = createLogger('silent', new Writable({ write: (_c, _e, done) => done() }));
  const message = 'pull of a/b@sha256:1 refused by requireSignature (credential rule r): requires a signature by release: \u2026 is not signed';
  const server = http.createServer((req, res) => renderError(denied(message), req, res, log, {}));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/a/b/manifests/v1`;
    for (const method of ['HEAD', 'GET']) {
      const res = await fetch(url, { method });
      expect([res.status, res.statusText]).toEqual([403, `Forbidden: ${message.replace('\u2026', '?')}`]);
      const body = await res.text();
      if (method === 'GET') expect(JSON.parse(body)).toEqual({ errors: [{ code: 'DENIED', message, detail: { reason: 'x' } }] });
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
