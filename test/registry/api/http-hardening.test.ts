// Requests refused below the routes get the spec's JSON error body and HTTP's
// status, and slow clients are cut by the header and idle timeouts while slow
// but moving ones are served. Raw sockets, because no HTTP client sends these.
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { startInProcessRegistry, type InProcessRegistry } from '../../harness/in-process-registry.js';

let reg: InProcessRegistry;
let port: number;

beforeAll(async () => {
  reg = await startInProcessRegistry({ http: { headersTimeoutSeconds: 1, idleTimeoutSeconds: 1, maxHeaders: 20, maxHeaderBytes: 4096 } });
  port = Number(new URL(reg.url).port);
});

afterAll(async () => {
  await reg?.stop();
});

interface Answer {
  readonly raw: string;
  /** Each response on the connection: status and body. */
  readonly responses: { status: number; body: string }[];
  readonly closedAfterMs: number;
}

function parseResponses(raw: string): { status: number; body: string }[] {
  const out: { status: number; body: string }[] = [];
  let rest = raw;
  while (rest.startsWith('HTTP/1.1 ')) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd < 0) break;
    const head = rest.slice(0, headEnd);
    const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
    out.push({ status: Number(head.slice(9, 12)), body: rest.slice(headEnd + 4, headEnd + 4 + length) });
    rest = rest.slice(headEnd + 4 + length);
  }
  return out;
}

/** Sends `chunks` (with `gapMs` between them) and collects everything until the server closes (or 10 s). */
async function exchange(chunks: (string | Buffer)[], gapMs = 0): Promise<Answer> {
  const start = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let raw = '';
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.on('data', (d) => { raw += d.toString('latin1'); });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ raw, responses: parseResponses(raw), closedAfterMs: Date.now() - start });
    });
    // The chunks trickle in while the answer is awaited; the socket's close ends it either way.
    void (async () => {
      for (const c of chunks) {
        if (socket.destroyed) return;
        socket.write(c);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
    })();
  });
}

function expectJsonError(r: { status: number; body: string }, status: number, code: string): void {
  expect(r.status).toBe(status);
  const body = JSON.parse(r.body) as { errors: { code: string; message: string; detail: { reason: string } }[] };
  expect(body.errors[0].code).toBe(code);
  expect(body.errors[0].detail.reason.length).toBeGreaterThan(0);
}

test.each([
  ['an unknown method', 'BREW /v2/ HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'UNSUPPORTED'],
  ['a lower-case method', 'get /v2/ HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'UNSUPPORTED'],
  ['a garbage request line', '\x00\x01\x02 garbage\r\n\r\n', 400, 'UNSUPPORTED'],
  ['bad header syntax', 'GET /v2/ HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n', 400, 'UNSUPPORTED'],
  ['two Content-Lengths', 'PUT /v2/ HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', 400, 'UNSUPPORTED'],
  ['Content-Length with chunked', 'PUT /v2/ HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', 400, 'UNSUPPORTED'],
  ['a bad chunk size', 'PUT /v2/r/blobs/uploads/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n', 400, 'UNSUPPORTED'],
  ['oversized chunk extensions', `PUT /v2/r/blobs/uploads/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;${'e'.repeat(20_000)}\r\nabc\r\n0\r\n\r\n`, 413, 'SIZE_INVALID'],
  ['a head over maxHeaderBytes', `GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(5000)}\r\n\r\n`, 431, 'UNSUPPORTED'],
  ['a request target over maxHeaderBytes', `GET /v2/${'a'.repeat(5000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431, 'UNSUPPORTED'],
  ['more header fields than maxHeaders', `GET /v2/ HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 30 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`, 431, 'UNSUPPORTED'],
  ['HTTP/3.1', 'GET /v2/ HTTP/3.1\r\nHost: x\r\n\r\n', 505, 'UNSUPPORTED'],
  ['HTTP/2.0 in HTTP/1 framing', 'GET /v2/ HTTP/2.0\r\nHost: x\r\n\r\n', 505, 'UNSUPPORTED'],
  ['HTTP/1.1 without Host', 'GET /v2/ HTTP/1.1\r\n\r\n', 400, 'UNSUPPORTED'],
])('%s: JSON error body, then the connection closes', async (_name, request, status, code) => {
  const answer = await exchange([request]);
  expect(answer.responses).toHaveLength(1);
  expectJsonError(answer.responses[0], status, code);
  expect(answer.raw).toMatch(/\r\nConnection: close\r\n/i);
  expect(answer.closedAfterMs).toBeLessThan(5_000);
});

test('a Content-Length smaller than the body: the request is answered, then the leftover bytes get the JSON 400', async () => {
  const body = '{"not":"a manifest at all"}';
  const answer = await exchange([`PUT /v2/r/manifests/v1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n${body}`]);
  expect(answer.responses.map((r) => r.status)).toEqual([400, 400]);
  expectJsonError(answer.responses[0], 400, 'MANIFEST_INVALID'); // `{"not` is not JSON
  expectJsonError(answer.responses[1], 400, 'UNSUPPORTED');
});

test('a valid request then garbage on one connection: the first answer is whole', async () => {
  const answer = await exchange(['GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\nNOT-HTTP\r\n\r\n']);
  expect(answer.responses.map((r) => r.status)).toEqual([200, 400]);
  expect(answer.responses[0].body).toBe('{}');
});

test('slowloris: a head still incomplete after headersTimeoutSeconds gets 408 and is closed', async () => {
  const parts = ['GET /v2/ HTTP/1.1\r\n', 'Host: x\r\n', ...Array.from({ length: 20 }, (_, i) => `X-Slow-${i}: v\r\n`)];
  const answer = await exchange(parts, 300);
  expect(answer.responses).toHaveLength(1);
  expectJsonError(answer.responses[0], 408, 'UNSUPPORTED');
  expect(answer.closedAfterMs).toBeLessThan(4_000);
});

test('a stalled upload body is cut after idleTimeoutSeconds, a slow but moving one is served', async () => {
  const started = await fetch(`${reg.url}/v2/stalled/blobs/uploads/`, { method: 'POST' });
  const location = started.headers.get('location')!;
  const stalled = await exchange([`PATCH ${location} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc`]);
  expect(stalled.responses).toHaveLength(0);
  expect(stalled.closedAfterMs).toBeLessThan(5_000);

  // 12 bytes, one every 400 ms: 4.8 s in all, never idle for the 1 s limit.
  const content = randomBytes(12);
  const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
  const head = `POST /v2/slow/blobs/uploads/?digest=${digest} HTTP/1.1\r\nHost: x\r\nContent-Length: ${content.length}\r\nConnection: close\r\n\r\n`;
  const slow = await exchange([head, ...[...content].map((b) => Buffer.from([b]))], 400);
  expect(slow.responses.map((r) => r.status)).toEqual([201]);
  expect(slow.closedAfterMs).toBeGreaterThan(4_000);
});
