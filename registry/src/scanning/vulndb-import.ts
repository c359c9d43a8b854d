// `berth-registry vulndb import DIR`: the air-gapped way in for a vulnerability
// database. DIR is osv.dev's layout (<Ecosystem>/all.zip, what a connected
// machine downloads from https://osv-vulnerabilities.storage.googleapis.com);
// it becomes the database artifact, pushed through the write path into
// security.vulnDB.repository. Registries serving the same storage load it at
// their next refresh and re-match every stored inventory against it.
import type { RegistryConfig } from '#contract/config/schema.js';
import { createLogger } from '../log.js';
import { parseDigest } from '../reference.js';
import { buildVulnDbArtifact } from '../security/osv/vulndb-artifact.js';
import { assembleServices } from '../services.js';
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

export async function vulndbImportCommand(config: RegistryConfig, options: { dir: string; tag?: string }): Promise<number> {
  const log = createLogger(config.log.level, process.stderr);
  const { services, events } = await assembleServices(config, log);
  const repo = config.security.vulnDB.repository;
  const tag = options.tag ?? defaultTag();
  try {
    const digest = await importVulnDb(services.writes, repo, options.dir, tag);
    process.stdout.write(`${JSON.stringify({ repository: repo, tag, digest })}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`berth-registry: vulndb import: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await services.security.stop();
    await events.close();
    await services.index.close();
    await services.storage.close();
  }
}
