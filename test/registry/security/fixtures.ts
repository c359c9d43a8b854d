// Content for the supply-chain tests, in real formats: an image whose layer
// holds an Alpine package database, OSV advisories zipped in osv.dev's
// all.zip layout, and cosign's simple-signing signature made with node:crypto.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { layerTar } from '../../harness/image-fixtures.js';
import { blob, ociImage, type Image, type OciClient } from '../../harness/oci-client.js';

/** An Alpine 3.20 image with the given apk packages (name → version); `seed` keeps images apart. */
export async function alpineImage(packages: Record<string, string>, seed: string): Promise<Image> {
  const installed = Object.entries(packages).map(([p, v]) => `P:${p}\nV:${v}\nA:x86_64\no:${p}\n`).join('\n');
  const layer = blob(await layerTar([
    { path: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.20.3\n' },
    { path: 'lib/apk/db/installed', content: `${installed}\n` },
    { path: 'etc/seed', content: seed },
  ]));
  const config = blob(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] }, config: {} }));
  return ociImage(config, [layer]);
}

export interface OsvAdvisory {
  readonly id: string;
  readonly pkg: string;
  readonly fixed: string;
  readonly severity: 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
  readonly aliases?: string[];
}

/** Writes <dir>/Alpine/all.zip with the advisories (OSV schema) and returns dir. */
export async function osvDirectory(dir: string, advisories: readonly OsvAdvisory[]): Promise<string> {
  await mkdir(join(dir, 'Alpine'), { recursive: true });
  // An hour old: the database's age is its newest `modified`, and a fixed date would
  // make it stale (past vulnDB.maxAge) once the calendar moves on.
  const modified = new Date(Date.now() - 3_600_000).toISOString();
  const docs = advisories.map((a) => ({
    schema_version: '1.6.0', id: a.id, modified, aliases: a.aliases ?? [], summary: `${a.pkg} test advisory`,
    database_specific: { severity: a.severity },
    affected: [{ package: { ecosystem: 'Alpine:v3.20', name: a.pkg }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: a.fixed }] }] }],
  }));
  await writeFile(join(dir, 'Alpine', 'all.zip'), zipSync(Object.fromEntries(docs.map((d) => [`${d.id}.json`, Buffer.from(JSON.stringify(d))]))));
  return dir;
}

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicPem: string;
}

export function ecdsaKey(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/**
 * A cosign `.sig` tag signature: the simple-signing payload naming `signedDigest`,
 * signed by `key`, stored under the tag of `tagDigest` (the same digest, unless replayed). Resolves with the signature manifest's digest.
 */
export async function pushCosignSignature(client: OciClient, repo: string, key: KeyPair, signedDigest: string, tagDigest = signedDigest): Promise<string> {
  const payload = blob(JSON.stringify({
    critical: { identity: { 'docker-reference': `registry.test/${repo}` }, image: { 'docker-manifest-digest': signedDigest }, type: 'cosign container image signature' },
    optional: null,
  }));
  const signature = sign('sha256', payload.content, key.privateKey).toString('base64');
  const config = blob('{}');
  await client.pushBlob(repo, config);
  await client.pushBlob(repo, payload);
  const manifest = blob(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.content.length },
    layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: payload.digest, size: payload.content.length, annotations: { 'dev.cosignproject.cosign/signature': signature } }],
  }));
  const res = await client.putManifest(repo, `sha256-${tagDigest.slice(7)}.sig`, manifest);
  if (res.status !== 201) throw new Error(`signature push answered ${res.status}: ${res.text}`);
  return manifest.digest;
}
