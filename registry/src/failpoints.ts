// Named points in the write path where a test can make the process die, as a
// crash or kill -9 would: BERTH_FAILPOINTS=manifest-put:storage-committed,...
// Read once at start; with the variable unset each check is a Set lookup.
const armed = new Set((process.env.BERTH_FAILPOINTS ?? '').split(',').map((s) => s.trim()).filter(Boolean));

export type Failpoint =
  | 'manifest-put:intent-opened'
  | 'manifest-put:storage-committed'
  | 'blob-link:storage-committed'
  | 'tag-delete:index-deleted'
  | 'manifest-delete:index-deleted'
  | 'blob-unlink:index-deleted';

export function failpoint(name: Failpoint): void {
  if (armed.has(name)) process.kill(process.pid, 'SIGKILL');
}
