// A lean keep-alive HTTP client for the blob workloads: bodies are written from
// pre-built buffers and responses are drained without copying, so the client
// spends as little of the shared CPU as possible.
import http from 'node:http';

export interface Response {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** Collected body (only when `collect` was asked for). */
  readonly body: Buffer;
  /** Bytes received. */
  readonly bytes: number;
}

export interface RequestOptions {
  readonly headers?: Record<string, string | number>;
  /** Body parts written in order; Content-Length is their total. */
  readonly body?: readonly Buffer[];
  /** Keep the body (small responses); otherwise it is only counted. */
  readonly collect?: boolean;
}

export class HttpClient {
  private readonly agent: http.Agent;

  constructor(readonly baseURL: string, maxSockets = 64) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  /** Resolves a Location header (absolute or relative) against the server. */
  resolve(location: string): URL {
    return new URL(location, this.baseURL);
  }

  request(method: string, target: string | URL, options: RequestOptions = {}): Promise<Response> {
    const url = typeof target === 'string' ? new URL(target, this.baseURL) : target;
    const parts = options.body ?? [];
    const length = parts.reduce((n, b) => n + b.length, 0);
    const headers: Record<string, string | number> = { ...options.headers };
    if (parts.length || method === 'PUT' || method === 'PATCH' || method === 'POST') headers['Content-Length'] = length;
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (options.collect) chunks.push(chunk);
        });
        res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), bytes }));
        res.once('error', reject);
      });
      req.once('error', reject);
      for (let i = 0; i < parts.length - 1; i++) req.write(parts[i]);
      req.end(parts.length ? parts[parts.length - 1] : undefined);
    });
  }

  async expect(status: number, method: string, target: string | URL, options: RequestOptions = {}): Promise<Response> {
    const res = await this.request(method, target, { ...options, collect: options.collect ?? true });
    if (res.status !== status) {
      throw new Error(`${method} ${target.toString()}: expected ${status}, got ${res.status}: ${res.body.toString('utf8').slice(0, 500)}`);
    }
    return res;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `count` tasks with at most `concurrency` in flight. */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Sub-buffers covering bytes [start, end) of the concatenation of `parts`, without copying. */
export function sliceParts(parts: readonly Buffer[], start: number, end: number): Buffer[] {
  const out: Buffer[] = [];
  let offset = 0;
  for (const p of parts) {
    const from = Math.max(start - offset, 0);
    const to = Math.min(end - offset, p.length);
    if (to > from) out.push(p.subarray(from, to));
    offset += p.length;
  }
  return out;
}
