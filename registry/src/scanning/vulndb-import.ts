// The air-gapped way in for a vulnerability database (`berth-registry vulndb
// import DIR`, vulndb-command.ts). DIR is osv.dev's layout (<Ecosystem>/all.zip, what a connected
// machine downloads from https://osv-vulnerabilities.storage.googleapis.com);
// it becomes the database artifact, pushed through the write path into
// security.vulnDB.repository. Registries serving the same storage load it at
// their next refresh and re-match every stored inventory against it.
import { parseDigest } from '../reference.js';
import { buildVulnDbArtifact } from '../security/osv/vulndb-artifact.js';
import type { WritePath } from '../write/write-path.js';
import type { Actor } from '../write/write-events.js';

const IMPORT_ACTOR: Actor = { subject: 'vulndb-import' };

/** Pushes the database in `dir` as `repo:tag`; returns its manifest digest. */
export async function importVulnDb(writes: WritePath, repo: string, dir: string, tag: string): Promise<string> {
  const built = await buildVulnDbArtifact(dir);
  for (const [digest, blob] of built.blobs) await writes.blobs.putMonolithic(repo, parseDigest(digest)!, blob, blob.length, IMPORT_ACTOR);
  await writes.manifests.put(repo, tag, built.manifest, 'application/vnd.oci.image.manifest.v1+json', [], IMPORT_ACTOR);
  return built.manifestDigest;
}

/** The default tag: the UTC date and time, so successive imports sort and the newest is used. */
export function defaultTag(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
}
