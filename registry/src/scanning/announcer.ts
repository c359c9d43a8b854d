// Announces each advisory a re-match newly finds in a tagged image: one
// CloudEvent `dev.berth.registry.vulnerability` per (digest, advisory). What
// is new was decided by the index (each pair is recorded once, see
// Results.record), so a second replica or a repeated re-match announces
// nothing twice. The operator turns the same records into Kubernetes Events.
import type { EventSink } from '../events/event-bus.js';
import type { MetadataIndex } from '../metadata/index.js';
import type { Finding } from '../security/osv/matcher.js';

export class Announcer {
  announced = 0;

  constructor(private readonly index: MetadataIndex, private readonly sink: EventSink) {}

  async announce(digest: string, dbDigest: string, added: readonly Finding[]): Promise<void> {
    if (!added.length) return;
    const places = (await this.index.placesOf(digest)).filter((p) => p.tags.length);
    if (!places.length) return; // an index's child or an untagged manifest: its tagged parent is announced
    for (const f of added) {
      this.announced++;
      this.sink.emit('vulnerability', places[0].repo, {
        digest, vulnerability: f.id, aliases: f.aliases, severity: f.severity, package: f.packageName, version: f.installedVersion,
        ...(f.fixedVersion ? { fixedVersion: f.fixedVersion } : {}), purl: f.purl, database: dbDigest,
        repositories: places.map((p) => ({ repository: p.repo, tags: p.tags })),
      });
    }
  }
}
