// A small closed-loop HTTP/1.1 load generator on raw keep-alive sockets: each
// connection sends one request, reads the whole response (headers, then
// Content-Length bytes unless it is a HEAD), records the latency and sends the
// next, until the time is up. Written for this bench because autocannon's parser
// waits for a body after HEAD responses that carry a Content-Length.
import { connect, type Socket } from 'node:net';

export interface LoadOptions {
  readonly url: string;
  readonly method: 'GET' | 'HEAD';
  readonly headers?: Record<string, string>;
  readonly connections: number;
  readonly seconds: number;
  /** Stop after this many requests in all (whichever comes first, the count or the time). */
  readonly maxRequests?: number;
}

export interface LoadFigures {
  readonly requests: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** Non-2xx answers plus connection errors. */
  readonly failures: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** How many more requests may be sent; shared by the connections of one run. */
interface Budget { left: number }

function runConnection(host: string, port: number, request: Buffer, head: boolean, until: number, budget: Budget, latencies: number[], onFailure: () => void): Promise<void> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, host);
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    let sentAt = 0;
    let bodyLeft = -1;
    let status = 0;
    const send = () => {
      if (performance.now() >= until || budget.left-- <= 0) {
        socket.end();
        resolve();
        return;
      }
      sentAt = performance.now();
      socket.write(request);
    };
    const finishResponse = () => {
      latencies.push(performance.now() - sentAt);
      if (status < 200 || status > 299) onFailure();
      bodyLeft = -1;
      send();
    };
    socket.on('connect', send);
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      for (;;) {
        if (bodyLeft < 0) {
          const end = buffered.indexOf(HEADER_END);
          if (end < 0) return;
          const head0 = buffered.subarray(0, end).toString('latin1');
          status = Number(head0.slice(9, 12));
          const m = /\r\ncontent-length:\s*(\d+)/i.exec(head0);
          bodyLeft = head ? 0 : m ? Number(m[1]) : 0;
          buffered = buffered.subarray(end + 4);
        }
        if (buffered.length < bodyLeft) return;
        buffered = buffered.subarray(bodyLeft);
        finishResponse();
        if (buffered.length === 0) return;
      }
    });
    socket.on('error', () => {
      onFailure();
      resolve();
    });
    socket.on('close', () => resolve());
  });
}

export async function load(options: LoadOptions): Promise<LoadFigures> {
  const url = new URL(options.url);
  const lines = [`${options.method} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, 'Connection: keep-alive'];
  for (const [k, v] of Object.entries(options.headers ?? {})) lines.push(`${k}: ${v}`);
  const request = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  const latencies: number[] = [];
  let failures = 0;
  const start = performance.now();
  const until = start + options.seconds * 1000;
  const budget = { left: options.maxRequests ?? Infinity };
  await Promise.all(Array.from({ length: options.connections }, () =>
    runConnection(url.hostname, Number(url.port), request, options.method === 'HEAD', until, budget, latencies, () => { failures++; })));
  const elapsed = (performance.now() - start) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return { requests: latencies.length, rps: latencies.length / elapsed, p50: percentile(sorted, 50), p99: percentile(sorted, 99), failures };
}
