// Reads one layer once and keeps what the package finders need: the content of
// package metadata files, the Go build info of executables, and the layer's
// whiteouts. The result depends only on the layer's bytes, so it is cached by
// layer digest and shared by every image built on that layer.
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { decompressedTar } from './decompress.js';
import { GoBuildInfoScanner, type GoBuildInfo } from './go-buildinfo.js';
import { isPackageMetadataPath, MAX_METADATA_BYTES, MIN_GO_BINARY_BYTES, normalizeTarPath } from './paths.js';

export interface LayerFacts {
  readonly digest: string;
  /** Package metadata files: path → UTF-8 content. */
  readonly files: Record<string, string>;
  /** Executables with Go build info: path → info. Executables without it are listed with null (they hide a lower binary). */
  readonly goBinaries: Record<string, GoBuildInfo | null>;
  /** Paths deleted by ".wh.<name>" entries. */
  readonly whiteouts: readonly string[];
  /** Directories made opaque by ".wh..wh..opq": everything below them in lower layers is gone. */
  readonly opaqueDirs: readonly string[];
  readonly entries: number;
}

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

async function collect(stream: AsyncIterable<Buffer>, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream) {
    size += c.length;
    if (size <= limit) chunks.push(c);
  }
  return size <= limit ? Buffer.concat(chunks) : undefined;
}

async function scanGo(stream: AsyncIterable<Buffer>): Promise<GoBuildInfo | null> {
  const scanner = new GoBuildInfoScanner();
  for await (const c of stream) scanner.push(c);
  return scanner.result ?? null;
}

/** Reads a layer blob (tar, tar+gzip or tar+zstd) to its facts. */
export async function readLayerFacts(digest: string, blob: Readable): Promise<LayerFacts> {
  const files: Record<string, string> = {};
  const goBinaries: Record<string, GoBuildInfo | null> = {};
  const whiteouts: string[] = [];
  const opaqueDirs: string[] = [];
  let entries = 0;
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract) {
      entries++;
      const h = entry.header;
      const path = normalizeTarPath(h.name);
      const slash = path.lastIndexOf('/');
      const base = path.slice(slash + 1);
      const dir = slash < 0 ? '' : path.slice(0, slash);
      if (base === OPAQUE) {
        opaqueDirs.push(dir);
      } else if (base.startsWith(WHITEOUT)) {
        whiteouts.push((dir ? `${dir}/` : '') + base.slice(WHITEOUT.length));
      } else if (h.type === 'file' || h.type === 'contiguous-file') {
        if (isPackageMetadataPath(path)) {
          const content = await collect(entry as AsyncIterable<Buffer>, MAX_METADATA_BYTES);
          if (content) files[path] = content.toString('utf8');
          continue;
        }
        if (((h.mode ?? 0) & 0o111) !== 0 && (h.size ?? 0) >= MIN_GO_BINARY_BYTES) {
          goBinaries[path] = await scanGo(entry as AsyncIterable<Buffer>);
          continue;
        }
      }
      // Drain: the next entry starts only after this one's bytes.
      for await (const _ of entry) void _;
    }
  })();
  const tarStream = decompressedTar(blob);
  tarStream.on('error', (err) => extract.destroy(err));
  tarStream.pipe(extract);
  await done;
  return { digest, files, goBinaries, whiteouts, opaqueDirs, entries };
}
