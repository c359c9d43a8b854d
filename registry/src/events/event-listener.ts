// Turns the write path's events into the CloudEvents webhooks receive, and records
// pulls (reads never go through the write path). The event data is documented in
// docs/lifecycle.md.
import type { MetadataIndex } from '../metadata/index.js';
import { isDigestReference, type Digest } from '../reference.js';
import type { Actor, WriteEvent, WriteListener } from '../write/write-events.js';
import type { EventSink } from './event-bus.js';

export class CloudEventListener implements WriteListener {
  constructor(private readonly sink: EventSink) {}

  onWrite(event: WriteEvent): void {
    switch (event.kind) {
      case 'manifest-put':
        if (event.cache) {
          this.sink.emit('cache', event.repo, {
            upstream: event.cache.upstream, tags: event.tags, digest: event.digest.value, mediaType: event.mediaType, size: event.size,
          }, 'filled');
          break;
        }
        this.sink.emit('push', event.repo, {
          ...who(event.actor), tags: event.tags, digest: event.digest.value, mediaType: event.mediaType, size: event.size,
        });
        break;
      case 'tag-restored':
        // A rollback moves a tag as a push does; receivers that follow tags see it as one.
        this.sink.emit('push', event.repo, {
          ...who(event.actor), tags: [event.tag], digest: event.digest.value, mediaType: event.mediaType, size: event.size,
          restored: true, ...(event.previous ? { previousDigest: event.previous.value } : {}),
        });
        break;
      case 'tag-deleted':
        this.sink.emit('delete', event.repo, { ...who(event.actor), tag: event.tag, ...reason(event.reason) });
        break;
      case 'manifest-deleted':
        this.sink.emit('delete', event.repo, { ...who(event.actor), digest: event.digest.value, ...reason(event.reason) });
        break;
      case 'blob-unlinked':
        this.sink.emit('delete', event.repo, { ...who(event.actor), blob: event.digest.value });
        break;
      case 'repository-deleted':
        this.sink.emit('delete', event.repo, { ...who(event.actor), repository: event.repo, wholeRepository: true });
        break;
      case 'blob-linked':
        if (event.cache) this.sink.emit('cache', event.repo, { upstream: event.cache.upstream, blob: event.digest.value, size: event.size }, 'filled');
        break;
      case 'cache-tag-moved':
        this.sink.emit('cache', event.repo, { upstream: event.cache.upstream, tag: event.tag, from: event.from.value, to: event.to.value }, 'tag-moved');
        break;
      case 'cache-upstream-missing':
        this.sink.emit('cache', event.repo, { upstream: event.cache.upstream, tag: event.tag, digest: event.digest.value }, 'upstream-missing');
        break;
      case 'quota-refused':
        this.sink.emit('quota-refused', event.repo, { ...event.refusal });
        break;
      default:
        break;
    }
  }
}

/** Pulls of manifests: the `pull` CloudEvent, and the last-pulled time in the index (batched, never a write per pull). */
export class PullRecorder {
  constructor(private readonly sink: EventSink, private readonly index: MetadataIndex) {}

  manifestPulled(repo: string, reference: string, digest: Digest, mediaType: string, actor: Actor): void {
    this.sink.emit('pull', repo, { ...who(actor), reference, digest: digest.value, mediaType });
    this.index.recordPull(repo, digest.value, isDigestReference(reference) ? undefined : reference);
  }
}

function who(actor: Actor): { actor: string; remote?: string } {
  return { actor: actor.subject, remote: actor.remote };
}

function reason(text: string | undefined): { reason?: string } {
  return text === undefined ? {} : { reason: text };
}
