// Keeps quota figures exact: whatever removes content or upload bytes makes the
// scopes it touched count again from storage.
import type { QuotaGate } from '../policy/quota-gate.js';
import type { WriteEvent, WriteListener } from './write-events.js';

export class QuotaListener implements WriteListener {
  constructor(private readonly quota: QuotaGate) {}

  onWrite(event: WriteEvent): void {
    switch (event.kind) {
      case 'tag-deleted':
      case 'manifest-deleted':
      case 'blob-unlinked':
      case 'repository-deleted':
      case 'gc-manifest-collected':
      case 'gc-link-collected':
      case 'uploads-discarded':
        this.quota.invalidate(event.repo);
        break;
      default:
        break;
    }
  }
}
