// The vulnerability database as an OCI artifact: one layer per ecosystem, each
// an osv.dev all.zip. It is pushed with `oras push <ref> --artifact-type
// application/vnd.berth.osv-db.v1 Alpine/all.zip:application/zip ...` or built
// from a directory in osv-scanner's layout (<dir>/<Ecosystem>/all.zip). The
// manifest digest is the database's identity: results are stored per
// (image digest, database digest).
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readBlob, type OpenBlob } from '../blob-source.js';
import { VulnDatabase } from './database.js';

export const VULNDB_ARTIFACT_TYPE = 'application/vnd.berth.osv-db.v1';
export const VULNDB_LAYER_TYPE = 'application/zip';
export const ECOSYSTEM_ANNOTATION = 'dev.berth.vulndb.ecosystem';
const TITLE = 'org.opencontainers.image.title';
/** osv.dev's Debian all.zip is the largest, a few hundred MB. */
const MAX_ZIP_BYTES = 2 * 1024 * 1024 * 1024;

interface LayerDescriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  annotations?: Record<string, string>;
}

/** The ecosystem a layer holds: its annotation, else its title ("Alpine/all.zip" or "Alpine.zip"). */
export function layerEcosystem(layer: LayerDescriptor): string | undefined {
  const explicit = layer.annotations?.[ECOSYSTEM_ANNOTATION];
  if (explicit) return explicit;
  const title = layer.annotations?.[TITLE];
  const m = title && /^(?:.*\/)?([^/]+)\/all\.zip$|^([^/]+)\.zip$/.exec(title);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** Loads the database from its artifact manifest; `manifestDigest` becomes the database's digest. */
export async function loadVulnDbArtifact(manifestDigest: string, openBlob: OpenBlob): Promise<VulnDatabase> {
  const manifest = JSON.parse((await readBlob(openBlob, manifestDigest)).toString('utf8')) as { artifactType?: string; config?: { mediaType?: string }; layers?: LayerDescriptor[] };
  const type = manifest.artifactType ?? manifest.config?.mediaType;
  if (type !== VULNDB_ARTIFACT_TYPE) throw new Error(`${manifestDigest} is not a vulnerability database (artifact type ${type})`);
  const db = new VulnDatabase(manifestDigest);
  for (const layer of manifest.layers ?? []) {
    if (layer.mediaType !== VULNDB_LAYER_TYPE || !layerEcosystem(layer)) continue;
    await db.addZip(await readBlob(openBlob, layer.digest, MAX_ZIP_BYTES));
  }
  return db;
}

export interface BuiltArtifact {
  readonly manifest: Buffer;
  readonly manifestDigest: string;
  /** Config and layer blobs by digest, to push before the manifest. */
  readonly blobs: ReadonlyMap<string, Buffer>;
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Builds the artifact from <dir>/<Ecosystem>/all.zip (what `berth-registry vulndb import DIR` pushes). */
export async function buildVulnDbArtifact(dir: string, created = new Date()): Promise<BuiltArtifact> {
  const blobs = new Map<string, Buffer>();
  const config = Buffer.from('{}');
  blobs.set(sha256(config), config);
  const layers: LayerDescriptor[] = [];
  for (const eco of (await readdir(dir)).sort()) {
    const zipPath = join(dir, eco, 'all.zip');
    if (!(await stat(zipPath).catch(() => undefined))?.isFile()) continue;
    const zip = await readFile(zipPath);
    const digest = sha256(zip);
    blobs.set(digest, zip);
    layers.push({ mediaType: VULNDB_LAYER_TYPE, digest, size: zip.length, annotations: { [TITLE]: `${eco}/all.zip`, [ECOSYSTEM_ANNOTATION]: eco } });
  }
  if (!layers.length) throw new Error(`${dir} holds no <Ecosystem>/all.zip`);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: VULNDB_ARTIFACT_TYPE,
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(config), size: config.length },
    layers,
    annotations: { 'org.opencontainers.image.created': created.toISOString() },
  }));
  return { manifest, manifestDigest: sha256(manifest), blobs };
}
