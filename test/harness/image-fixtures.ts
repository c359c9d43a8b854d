// Builds container images from files given in their real on-disk formats
// (package databases, manifests, binaries), as an OCI layout for Berth's
// indexer and as a `docker save` archive for osv-scanner's --archive.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

export interface FixtureFile {
  readonly path: string;
  readonly content?: Buffer | string;
  /** Defaults to 0644 for files, 0755 for directories. */
  readonly mode?: number;
  readonly type?: 'file' | 'directory' | 'symlink';
  readonly linkname?: string;
}

export interface FixtureImage {
  readonly name: string;
  readonly layers: readonly (readonly FixtureFile[])[];
  readonly os?: string;
  readonly architecture?: string;
}

export interface BuiltImage {
  readonly name: string;
  readonly manifestDigest: string;
  readonly layoutDir: string;
  readonly dockerArchive: string;
  readonly layerDigests: readonly string[];
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A tar archive of `files`, written by tar-stream (ustar with PAX for long names). */
export async function layerTar(files: readonly FixtureFile[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  const dirs = new Set<string>();
  const mtime = new Date('2024-01-01T00:00:00Z');
  for (const f of files) {
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      pack.entry({ name: `${dir}/`, type: 'directory', mode: 0o755, mtime });
    }
    if (f.type === 'directory') pack.entry({ name: `${f.path}/`, type: 'directory', mode: f.mode ?? 0o755, mtime });
    else if (f.type === 'symlink') pack.entry({ name: f.path, type: 'symlink', linkname: f.linkname, mode: 0o777, mtime });
    else pack.entry({ name: f.path, mode: f.mode ?? 0o644, mtime }, Buffer.from(f.content ?? ''));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Writes the image as an OCI layout (gzip layers) and a docker archive (the same layers uncompressed). */
export async function buildImage(dir: string, image: FixtureImage): Promise<BuiltImage> {
  const layoutDir = join(dir, `${image.name}.oci`);
  await mkdir(join(layoutDir, 'blobs', 'sha256'), { recursive: true });
  const put = async (b: Buffer) => {
    const d = sha256(b);
    await writeFile(join(layoutDir, 'blobs', 'sha256', d.slice(7)), b);
    return d;
  };
  const tars = await Promise.all(image.layers.map((l) => layerTar(l)));
  const layers = [];
  for (const t of tars) {
    const gz = gzipSync(t);
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: await put(gz), size: gz.length });
  }
  const configBytes = Buffer.from(JSON.stringify({
    architecture: image.architecture ?? 'amd64', os: image.os ?? 'linux', created: '2024-01-01T00:00:00Z',
    config: {}, rootfs: { type: 'layers', diff_ids: tars.map(sha256) },
  }));
  const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await put(configBytes), size: configBytes.length };
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers }));
  const manifestDigest = await put(manifest);
  await writeFile(join(layoutDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(join(layoutDir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }] }));

  const dockerArchive = join(dir, `${image.name}.tar`);
  const entries: FixtureFile[] = [
    { path: `${config.digest.slice(7)}.json`, content: configBytes },
    ...tars.map((t) => ({ path: `${sha256(t).slice(7)}/layer.tar`, content: t })),
    { path: 'manifest.json', content: JSON.stringify([{ Config: `${config.digest.slice(7)}.json`, RepoTags: [`berth.test/${image.name}:latest`], Layers: tars.map((t) => `${sha256(t).slice(7)}/layer.tar`) }]) },
  ];
  await writeFile(dockerArchive, await layerTar(entries));
  return { name: image.name, manifestDigest, layoutDir, dockerArchive, layerDigests: layers.map((l) => l.digest) };
}

/** openBlob over an OCI layout, counting the blobs opened. */
export function layoutBlobOpener(layoutDir: string): { open: (digest: string) => Promise<Readable>; opened: string[] } {
  const opened: string[] = [];
  return {
    opened,
    open: async (digest: string) => {
      opened.push(digest);
      return createReadStream(join(layoutDir, 'blobs', 'sha256', digest.replace(/^sha256:/, '')));
    },
  };
}
