// Builds real OCI image layouts on disk (gzip'd tar layers, configs with diff_ids,
// manifests, optionally a multi-platform index) for the client tests to push.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sha256 } from './oci-client.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string };
  annotations?: Record<string, string>;
}


/** A ustar header for one regular file of `size` bytes. */
export function tarHeader(name: string, size: number, mtimeSeconds = Math.floor(Date.now() / 1000)): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(size.toString(8).padStart(11, '0') + '\0', 124);
  header.write(mtimeSeconds.toString(8).padStart(11, '0') + '\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return header;
}

/** A one-file ustar archive. */
export function tarOf(name: string, content: Buffer): Buffer {
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([tarHeader(name, content.length), content, pad, Buffer.alloc(1024)]);
}

export class OciLayout {
  private readonly blobs = new Map<string, Buffer>();

  constructor(readonly dir: string) {}

  private add(content: Buffer, mediaType: string): Descriptor {
    const digest = sha256(content);
    this.blobs.set(digest, content);
    return { mediaType, digest, size: content.length };
  }

  /** An image with `layers` random layers of `layerSize` bytes each, for one platform. */
  /** `uncompressed` stores plain tar layers (big layers without spending seconds in gzip). */
  image(options: { layers?: number; layerSize?: number; os?: string; architecture?: string; uncompressed?: boolean } = {}): Descriptor {
    const os = options.os ?? 'linux';
    const architecture = options.architecture ?? 'amd64';
    const layers: Descriptor[] = [];
    const diffIds: string[] = [];
    for (let i = 0; i < (options.layers ?? 2); i++) {
      const tar = tarOf(`file-${i}.bin`, randomBytes(options.layerSize ?? 4096));
      diffIds.push(sha256(tar));
      layers.push(options.uncompressed ? this.add(tar, 'application/vnd.oci.image.layer.v1.tar') : this.add(gzipSync(tar), 'application/vnd.oci.image.layer.v1.tar+gzip'));
    }
    const config = this.add(Buffer.from(JSON.stringify({
      architecture, os, created: '2026-01-01T00:00:00Z',
      config: { Cmd: ['/bin/true'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
    })), 'application/vnd.oci.image.config.v1+json');
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers,
    }));
    return { ...this.add(manifest, 'application/vnd.oci.image.manifest.v1+json'), platform: { os, architecture } };
  }

  /** An index over per-platform images. */
  index(children: Descriptor[]): Descriptor {
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: children,
    }));
    return this.add(index, 'application/vnd.oci.image.index.v1+json');
  }

  /** Writes the blobs and an index.json listing `images` with their platforms (what `crane push --index` pushes as one index). */
  async writeImages(images: Descriptor[]): Promise<void> {
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(this.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    for (const [digest, content] of this.blobs) await writeFile(join(this.dir, 'blobs', 'sha256', digest.slice(7)), content);
    await writeFile(join(this.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: images }));
  }

  /** The content of a blob added to this layout. */
  blob(digest: string): Buffer {
    const b = this.blobs.get(digest);
    if (!b) throw new Error(`no blob ${digest} in this layout`);
    return b;
  }

  /** Writes oci-layout, index.json (with `tag` as ref.name) and every blob. */
  async write(top: Descriptor, tag: string): Promise<void> {
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(this.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    for (const [digest, content] of this.blobs) await writeFile(join(this.dir, 'blobs', 'sha256', digest.slice(7)), content);
    const ref = { ...top, annotations: { 'org.opencontainers.image.ref.name': tag } };
    delete (ref as { platform?: unknown }).platform;
    await writeFile(join(this.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [ref] }));
  }
}
