// Storage: the largest repositories the viewer may see, quota scopes with their
// usage, and garbage collection's schedule and last run (for administrators).
import { api } from '../api';
import { Bar, Status, useLoad } from '../components';
import { bytes } from '../format';
import { href } from '../router';

interface Storage {
  repositories: Array<{ name: string; sizeBytes: number; tagCount: number; quotaScopes: string[] }>;
  more?: boolean;
  quotas: Array<{ scope: string; limitBytes: number; usedBytes: number }>;
  gc?: { enabled: boolean; intervalSeconds: number; dryRun: boolean; lastRun?: { finishedAt: string; result: string; bytesFreed?: number; blobsDeleted?: number; error?: string } };
}

export function StoragePage() {
  const { data, error } = useLoad('storage', () => api<Storage>('/storage'));
  if (!data) return <section><h1>Storage</h1><Status error={error} /></section>;
  const max = Math.max(1, ...data.repositories.map((r) => r.sizeBytes));
  const gc = data.gc;
  return (
    <section>
      <h1>Storage</h1>
      {data.quotas.length ? (
        <>
          <h2>Quotas</h2>
          <table class="list" data-testid="quotas">
            <thead><tr><th>Scope</th><th class="wide">Usage</th><th>Used</th><th>Limit</th></tr></thead>
            <tbody>{data.quotas.map((q) => (
              <tr key={q.scope}><td>{q.scope}</td><td class="wide"><Bar used={q.usedBytes} limit={q.limitBytes} label={`quota ${q.scope}`} /></td><td>{bytes(q.usedBytes)}</td><td>{bytes(q.limitBytes)}</td></tr>))}
            </tbody>
          </table>
        </>
      ) : null}
      <h2>Largest repositories</h2>
      <table class="list" data-testid="usage">
        <thead><tr><th>Repository</th><th class="wide">Usage</th><th>Size</th><th>Tags</th><th>Quota scopes</th></tr></thead>
        <tbody>{data.repositories.map((r) => (
          <tr key={r.name}><td><a href={href.repository(r.name)}>{r.name}</a></td><td class="wide"><Bar used={r.sizeBytes} limit={max} label={`${r.name} size`} /></td>
            <td>{bytes(r.sizeBytes)}</td><td>{r.tagCount}</td><td>{r.quotaScopes.join(', ') || '—'}</td></tr>))}
        </tbody>
      </table>
      {gc ? (
        <>
          <h2>Garbage collection</h2>
          <p data-testid="gc">{gc.enabled ? `Scheduled every ${Math.round(gc.intervalSeconds / 60)} min${gc.dryRun ? ' (dry run)' : ''}.` : 'Not scheduled.'}{' '}
            {gc.lastRun ? `Last run ${gc.lastRun.finishedAt}: ${gc.lastRun.result}${gc.lastRun.bytesFreed !== undefined ? `, ${bytes(gc.lastRun.bytesFreed)} freed` : ''}${gc.lastRun.error ? ` (${gc.lastRun.error})` : ''}.` : 'No run since this replica started.'}</p>
        </>
      ) : null}
    </section>
  );
}
