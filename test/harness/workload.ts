// A registry client for fault, hostile and soak runs: pushes and pulls small
// images over fetch, records every answer (status, error code, Retry-After), and
// verifies what it pulls against the digests it pushed. It never throws on an
// HTTP status: the run decides what each answer means.
import { createHash, randomBytes } from 'node:crypto';

export interface Answer {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** The first error code of a JSON error body, if any. */
  readonly code?: string;
  readonly retryAfter?: string;
  /** Whether a 4xx/5xx answer carried a JSON `{"errors":[…]}` body. */
  readonly jsonError?: boolean;
  /** A network failure instead of an answer. */
  readonly failure?: string;
}

export interface Image {
  readonly repo: string;
  readonly tag: string;
  readonly digest: string;
  readonly manifest: Buffer;
  readonly blobs: { digest: string; content: Buffer }[];
}

export const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export class Client {
  readonly answers: Answer[] = [];
  /** How long each request took to its last body byte, in ms, in the order of `answers`. */
  readonly latenciesMs: number[] = [];

  constructor(readonly url: string, private readonly timeoutMs = 30_000) {}

  async request(method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<{ answer: Answer; body: Buffer; headers: Headers }> {
    let answer: Answer;
    let bytes = Buffer.alloc(0);
    let responseHeaders = new Headers();
    const started = performance.now();
    try {
      const res = await fetch(`${this.url}${path}`, { method, body, headers, signal: AbortSignal.timeout(this.timeoutMs) });
      bytes = Buffer.from(await res.arrayBuffer());
      responseHeaders = res.headers;
      let code: string | undefined;
      let jsonError: boolean | undefined;
      if (res.status >= 400 && method !== 'HEAD') {
        try {
          code = (JSON.parse(bytes.toString('utf8')) as { errors: { code: string }[] }).errors[0].code;
          jsonError = typeof code === 'string';
        } catch {
          jsonError = false;
        }
      }
      answer = { method, path, status: res.status, code, jsonError, retryAfter: res.headers.get('retry-after') ?? undefined };
    } catch (err) {
      answer = { method, path, status: 0, failure: (err as Error).message };
    }
    this.answers.push(answer);
    this.latenciesMs.push(performance.now() - started);
    return { answer, body: bytes, headers: responseHeaders };
  }

  /** Monolithic blob push; true when the registry answered 201. */
  async pushBlob(repo: string, content: Buffer): Promise<boolean> {
    const { answer } = await this.request('POST', `/v2/${repo}/blobs/uploads/?digest=${sha256(content)}`, content,
      { 'Content-Type': 'application/octet-stream' });
    return answer.status === 201;
  }

  /** POST, PATCH in `chunks` pieces, PUT: the chunked protocol. */
  async pushBlobChunked(repo: string, content: Buffer, chunks = 3): Promise<boolean> {
    const start = await this.request('POST', `/v2/${repo}/blobs/uploads/`);
    let location = start.headers.get('location');
    if (start.answer.status !== 202 || !location) return false;
    const size = Math.ceil(content.length / chunks);
    for (let at = 0; at < content.length; at += size) {
      const piece = content.subarray(at, at + size);
      const patch = await this.request('PATCH', location, piece, {
        'Content-Type': 'application/octet-stream', 'Content-Range': `${at}-${at + piece.length - 1}`,
      });
      location = patch.headers.get('location');
      if (patch.answer.status !== 202 || !location) return false;
    }
    const sep = location.includes('?') ? '&' : '?';
    return (await this.request('PUT', `${location}${sep}digest=${sha256(content)}`)).answer.status === 201;
  }

  /** A config and `layers` random layers of `layerBytes`, then the manifest under `tag`; undefined unless every step got 201. */
  async pushImage(repo: string, tag: string, options: { layers?: number; layerBytes?: number; chunked?: boolean } = {}): Promise<Image | undefined> {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', nonce: randomBytes(8).toString('hex') }));
    const layers = Array.from({ length: options.layers ?? 1 }, () => randomBytes(options.layerBytes ?? 4096));
    for (const [i, b] of [config, ...layers].entries()) {
      const ok = options.chunked && i > 0 ? await this.pushBlobChunked(repo, b) : await this.pushBlob(repo, b);
      if (!ok) return undefined;
    }
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(l), size: l.length })),
    }));
    const put = await this.request('PUT', `/v2/${repo}/manifests/${tag}`, manifest, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' });
    if (put.answer.status !== 201) return undefined;
    return { repo, tag, digest: sha256(manifest), manifest, blobs: [config, ...layers].map((content) => ({ digest: sha256(content), content })) };
  }

  /** Pulls the image by tag and by digest and checks every byte; returns what differed (empty when whole). */
  async verifyImage(image: Image, byTag = true): Promise<string[]> {
    const problems: string[] = [];
    for (const ref of byTag ? [image.tag, image.digest] : [image.digest]) {
      const m = await this.request('GET', `/v2/${image.repo}/manifests/${ref}`, undefined, { Accept: 'application/vnd.oci.image.manifest.v1+json' });
      if (m.answer.status !== 200 || sha256(m.body) !== image.digest) problems.push(`${image.repo}:${ref} manifest ${m.answer.status}`);
    }
    for (const b of image.blobs) {
      const got = await this.request('GET', `/v2/${image.repo}/blobs/${b.digest}`);
      if (got.answer.status !== 200 || sha256(got.body) !== b.digest) problems.push(`${image.repo}@${b.digest} blob ${got.answer.status}`);
    }
    return problems;
  }

  /** Whether a blob is visible at all, and if it is, whether its bytes match its digest. */
  async blobState(repo: string, digest: string): Promise<'absent' | 'whole' | 'corrupt' | 'error'> {
    const got = await this.request('GET', `/v2/${repo}/blobs/${digest}`);
    if (got.answer.status === 404) return 'absent';
    if (got.answer.status !== 200) return 'error';
    return sha256(got.body) === digest ? 'whole' : 'corrupt';
  }
}

/** Answers that are neither success nor one of `allowed` statuses. */
export function unexpected(answers: readonly Answer[], allowed: (a: Answer) => boolean): Answer[] {
  return answers.filter((a) => !(a.status >= 200 && a.status < 400) && !allowed(a));
}
