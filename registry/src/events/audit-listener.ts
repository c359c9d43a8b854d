// Audit records for the changes the registry makes on its own: retention's
// deletions (client requests are recorded by the HTTP layer, api/audit-requests.ts).
import { SYSTEM_RETENTION, type WriteEvent, type WriteListener } from '../write/write-events.js';
import type { AuditSink } from './audit-log.js';

export class AuditListener implements WriteListener {
  constructor(private readonly audit: AuditSink) {}

  onWrite(event: WriteEvent): void {
    if ((event.kind === 'tag-deleted' || event.kind === 'manifest-deleted') && event.actor.subject === SYSTEM_RETENTION.subject) {
      this.audit.record({
        time: new Date().toISOString(),
        actor: SYSTEM_RETENTION.subject,
        action: 'retention.delete',
        repository: event.repo,
        ...(event.kind === 'tag-deleted' ? { tag: event.tag } : { digest: event.digest.value }),
        result: 'success',
        ...(event.reason ? { detail: { reason: event.reason } } : {}),
      });
    }
  }
}
