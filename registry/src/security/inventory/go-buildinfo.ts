// Go build information, as `go version -m` reads it: the linker writes a
// ".go.buildinfo" blob that starts with "\xff Go buildinf:", and since Go 1.18
// it holds the toolchain version and the module list inline as two
// varint-prefixed strings. The scanner works on a stream, chunk by chunk, so a
// 100 MB binary is never held in memory.

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const HEADER = 32;
const FLAGS_INLINE = 0x2;
/** modinfo is wrapped in 16-byte sentinels (cmd/go/internal/modload.infoStart/End). */
const SENTINEL = 16;
/** More than any real module list; bounds what one binary can make us hold. */
const MAX_TAIL = 4 * 1024 * 1024;

export interface GoModule {
  readonly path: string;
  readonly version: string;
}

export interface GoBuildInfo {
  /** Toolchain version, e.g. "go1.22.5". */
  readonly goVersion: string;
  readonly path?: string;
  readonly main?: GoModule;
  readonly deps: readonly GoModule[];
}

function readUvarint(buf: Buffer, at: number): [value: number, next: number] | undefined {
  let x = 0;
  let shift = 0;
  for (let i = at; i < buf.length && i < at + 10; i++) {
    const b = buf[i];
    x += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [x, i + 1];
    shift += 7;
  }
  return undefined;
}

/** Parses modinfo text (path/mod/dep/=> lines). */
export function parseModinfo(text: string, goVersion: string): GoBuildInfo {
  let path: string | undefined;
  let main: GoModule | undefined;
  const deps: GoModule[] = [];
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    if (f[0] === 'path') path = f[1];
    else if (f[0] === 'mod' && f[1]) main = { path: f[1], version: f[2] ?? '' };
    else if (f[0] === 'dep' && f[1]) deps.push({ path: f[1], version: f[2] ?? '' });
    else if (f[0] === '=>' && f[1] && deps.length) deps[deps.length - 1] = { path: f[1], version: f[2] ?? '' };
  }
  return { goVersion, path, main, deps };
}

/** Parses the bytes that follow the magic (header included); undefined until enough bytes are there. */
function parseInline(tail: Buffer): GoBuildInfo | null | undefined {
  if (tail.length < HEADER) return undefined;
  if ((tail[15] & FLAGS_INLINE) === 0) return null; // pre-1.18 pointer format: not read
  const v = readUvarint(tail, HEADER);
  if (!v) return undefined;
  const [vlen, vstart] = v;
  if (tail.length < vstart + vlen) return undefined;
  const goVersion = tail.toString('utf8', vstart, vstart + vlen);
  const m = readUvarint(tail, vstart + vlen);
  if (!m) return undefined;
  const [mlen, mstart] = m;
  if (tail.length < mstart + mlen) return undefined;
  let mod = tail.subarray(mstart, mstart + mlen);
  if (mod.length >= 2 * SENTINEL + 1 && mod[mod.length - SENTINEL - 1] === 0x0a) mod = mod.subarray(SENTINEL, mod.length - SENTINEL);
  return parseModinfo(mod.toString('utf8'), goVersion);
}

/** Feed chunks of one file in order; `result` is set once the build info has been read. */
export class GoBuildInfoScanner {
  private carry = Buffer.alloc(0);
  private tail: Buffer | undefined;
  private done = false;
  result: GoBuildInfo | undefined;

  get finished(): boolean {
    return this.done;
  }

  push(chunk: Buffer): void {
    if (this.done) return;
    if (this.tail) return this.grow(chunk);
    // The magic may straddle two chunks: search the seam, then the chunk.
    const seam = Buffer.concat([this.carry, chunk.subarray(0, MAGIC.length - 1)]);
    let at = seam.indexOf(MAGIC);
    if (at >= 0) {
      this.tail = Buffer.alloc(0);
      return this.grow(Buffer.concat([seam.subarray(at), chunk.subarray(MAGIC.length - 1)]));
    }
    at = chunk.indexOf(MAGIC);
    if (at >= 0) {
      this.tail = Buffer.alloc(0);
      return this.grow(chunk.subarray(at));
    }
    this.carry = Buffer.from(chunk.subarray(Math.max(0, chunk.length - (MAGIC.length - 1))));
  }

  private grow(bytes: Buffer): void {
    this.tail = Buffer.concat([this.tail!, bytes]);
    const parsed = parseInline(this.tail);
    if (parsed === undefined && this.tail.length < MAX_TAIL) return;
    this.result = parsed ?? undefined;
    this.done = true;
    this.tail = undefined;
  }
}
