// Hostile requests, by class, as an adversarial client sends them: JSON bodies
// under the 4 MiB manifest limit that are deep, wide or long; bodies over it;
// requests Node's HTTP parser refuses; slow heads; floods of uploads. Each class
// is a list of request makers, sent by `sendHostile` at a fixed concurrency and
// bounded in count; every answer is recorded with its status and whether it had
// the spec's JSON error body.
import net from 'node:net';
import { randomBytes } from 'node:crypto';

export interface HostileAnswer {
  readonly label: string;
  /** 0 when the connection closed without an answer. */
  readonly status: number;
  readonly code?: string;
  /** detail.reason of the first error, if any. */
  readonly reason?: string;
  readonly jsonError: boolean;
  readonly retryAfter?: string;
  readonly ms: number;
}

export interface HostileRequest {
  readonly label: string;
  /** The bytes to send on a fresh connection (head and body). */
  readonly bytes: Buffer;
  /** Send in pieces this far apart (slow clients); the whole at once when absent. */
  readonly pieceMs?: number;
  readonly pieceBytes?: number;
}

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';
const EMPTY = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

function put(label: string, path: string, body: Buffer | string, contentType = MANIFEST): HostileRequest {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  return {
    label,
    bytes: Buffer.concat([Buffer.from(`PUT ${path} HTTP/1.1\r\nHost: registry\r\nContent-Type: ${contentType}\r\nContent-Length: ${b.length}\r\nConnection: close\r\n\r\n`), b]),
  };
}

const manifestHead = `{"schemaVersion":2,"mediaType":"${MANIFEST}","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"${EMPTY}","size":2},`;

/** JSON bodies within the size limit that cost a naive parser the most. */
export function jsonClasses(repo: string): Record<string, HostileRequest[]> {
  const at = (i: number) => `/v2/${repo}/manifests/h${i}`;
  return {
    'deep nesting': [
      put('annotations nested 1,000,000 deep', at(1), `${manifestHead}"layers":[],"annotations":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`),
      put('objects nested 300,000 deep', at(2), `${manifestHead}"layers":[],"annotations":${'{"a":'.repeat(300_000)}1${'}'.repeat(300_000)}}`),
      put('layers nested 5,000 deep', at(3), `${manifestHead}"layers":${'['.repeat(5000)}${']'.repeat(5000)}}`),
      put('index nested 100,000 deep', at(4), `{"schemaVersion":2,"mediaType":"${INDEX}","manifests":${'[{"m":'.repeat(100_000)}0${'}]'.repeat(100_000)}}`, INDEX),
    ],
    'huge arrays': [
      put('400,000 empty layers', at(5), `${manifestHead}"layers":[${Array(400_000).fill('{}').join(',')}]}`),
      put('1,300,000 zeros in an index', at(6), `{"schemaVersion":2,"mediaType":"${INDEX}","manifests":[${Array(1_300_000).fill('0').join(',')}]}`, INDEX),
      put('250,000 annotations', at(7), `${manifestHead}"layers":[],"annotations":{${Array.from({ length: 250_000 }, (_, i) => `"k${i}":"v"`).join(',')}}}`),
      put('25,000 descriptors of one blob', at(8), `${manifestHead}"layers":[${Array(25_000).fill(`{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"${EMPTY}","size":2}`).join(',')}]}`),
    ],
    'long strings': [
      put('a 4,000,000-byte annotation', at(9), `${manifestHead}"layers":[],"annotations":{"a":"${'x'.repeat(4_000_000)}"}}`),
      put('a 4,000,000-byte key', at(10), `${manifestHead}"layers":[],"annotations":{"${'k'.repeat(4_000_000)}":"v"}}`),
      put('a 4,000,000-digit number', at(11), `${manifestHead}"layers":[],"x":${'9'.repeat(4_000_000)}}`),
    ],
    oversize: [
      put('a 6 MiB manifest', at(12), `${manifestHead}"layers":[],"annotations":{"a":"${'x'.repeat(6 * 1024 * 1024)}"}}`),
    ],
  };
}

function raw(label: string, text: string): HostileRequest {
  return { label, bytes: Buffer.from(text, 'latin1') };
}

/** Requests Node's parser refuses before any route: the 241 bare 400s of the adversarial run. */
export function parserClass(): HostileRequest[] {
  return [
    raw('unknown method', 'BREW /v2/ HTTP/1.1\r\nHost: r\r\n\r\n'),
    raw('lower-case method', 'get /v2/ HTTP/1.1\r\nHost: r\r\n\r\n'),
    raw('garbage request line', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage\r\n\r\n'),
    raw('Content-Length smaller than the body', 'PUT /v2/r/manifests/x HTTP/1.1\r\nHost: r\r\nContent-Length: 2\r\n\r\n{}{"rest":"of the body"}'),
    raw('header overflow', `GET /v2/ HTTP/1.1\r\nHost: r\r\nX: ${'a'.repeat(70_000)}\r\n\r\n`),
    raw('too many headers', `GET /v2/ HTTP/1.1\r\nHost: r\r\n${Array.from({ length: 300 }, (_, i) => `X-${i}: v\r\n`).join('')}\r\n`),
    raw('HTTP/3.1', 'GET /v2/ HTTP/3.1\r\nHost: r\r\n\r\n'),
    raw('bad chunk size', 'PATCH /v2/r/blobs/uploads/x HTTP/1.1\r\nHost: r\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'),
    raw('no Host', 'GET /v2/ HTTP/1.1\r\n\r\n'),
  ];
}

/** Heads trickled a few bytes at a time: slowloris. */
export function slowClass(): HostileRequest[] {
  return [{ label: 'slowloris head', bytes: Buffer.from(`GET /v2/ HTTP/1.1\r\nHost: r\r\n${'X-Slow: v\r\n'.repeat(40)}\r\n`), pieceMs: 250, pieceBytes: 8 }];
}

/** Monolithic uploads of 8 MiB blobs, more than the per-client limit at once. */
export function uploadFloodClass(repo: string, count: number): HostileRequest[] {
  const body = randomBytes(8 * 1024 * 1024);
  return Array.from({ length: count }, (_, i) => {
    const digest = `sha256:${'0'.repeat(64)}`; // refused after the body: a digest mismatch, so nothing is stored
    return {
      label: `8 MiB upload ${i}`,
      bytes: Buffer.concat([Buffer.from(`POST /v2/${repo}/blobs/uploads/?digest=${digest} HTTP/1.1\r\nHost: r\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]),
    };
  });
}

function parseAnswer(rawAnswer: Buffer): Omit<HostileAnswer, 'label' | 'ms'> {
  const text = rawAnswer.toString('latin1');
  const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
  if (!m) return { status: 0, jsonError: false };
  const headEnd = text.indexOf('\r\n\r\n');
  const head = text.slice(0, headEnd);
  const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
  const body = text.slice(headEnd + 4, headEnd + 4 + length);
  let code: string | undefined;
  let reason: string | undefined;
  try {
    const first = (JSON.parse(body) as { errors: { code: string; detail?: { reason?: string } }[] }).errors[0];
    code = first.code;
    reason = first.detail?.reason;
  } catch {
    code = undefined;
  }
  return { status: Number(m[1]), code, reason, jsonError: code !== undefined, retryAfter: /\r\nretry-after: (\S+)/i.exec(head)?.[1] };
}

/** Sends one request on a fresh connection; resolves with the first answer (or status 0) within `timeoutMs`. */
export function sendOne(port: number, request: HostileRequest, timeoutMs = 20_000): Promise<HostileAnswer> {
  const start = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ label: request.label, ms: Date.now() - start, ...parseAnswer(Buffer.concat(chunks)) });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (d) => {
      chunks.push(d);
      const text = Buffer.concat(chunks).toString('latin1');
      const headEnd = text.indexOf('\r\n\r\n');
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(text.slice(0, headEnd))?.[1] ?? 0);
      if (headEnd >= 0 && text.length >= headEnd + 4 + length) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('connect', () => {
      if (!request.pieceMs) {
        socket.write(request.bytes);
        return;
      }
      // Dribbled: a write error closes the socket, which finish() already handles.
      void (async () => {
        for (let at = 0; at < request.bytes.length && !done; at += request.pieceBytes ?? 1) {
          socket.write(request.bytes.subarray(at, at + (request.pieceBytes ?? 1)));
          await new Promise((r) => setTimeout(r, request.pieceMs));
        }
      })();
    });
  });
}

/** Sends `count` requests cycling through `requests`, `concurrency` at a time. */
export async function sendHostile(port: number, requests: HostileRequest[], count: number, concurrency: number, timeoutMs?: number): Promise<HostileAnswer[]> {
  const answers: HostileAnswer[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      answers.push(await sendOne(port, requests[i % requests.length], timeoutMs));
    }
  }));
  return answers;
}

/** A well-behaved second client: polls `path` and records each answer's latency until stopped. */
export function probe(url: string, path: string, everyMs = 100): { stop(): Promise<{ max: number; count: number; failures: number }> } {
  let stopped = false;
  let max = 0;
  let count = 0;
  let failures = 0;
  const loop = (async () => {
    while (!stopped) {
      const start = Date.now();
      try {
        const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        if (res.status !== 200) failures++;
      } catch {
        failures++;
      }
      max = Math.max(max, Date.now() - start);
      count++;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return { max, count, failures };
    },
  };
}
