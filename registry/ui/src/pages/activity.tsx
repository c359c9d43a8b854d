// The audit log: pushes, deletes, denied requests, rollbacks, retention and GC,
// newest first, filterable by actor, action, repository and result.
import { useState } from 'preact/hooks';
import { api, type Page } from '../api';
import { Badge, Status, useLoad } from '../components';
import { age, shortDigest } from '../format';
import { href } from '../router';

interface Record { id: number; time: number; actor?: string; action: string; repository?: string; digest?: string; tag?: string; result: string; detail?: { status?: number } }

export function Activity() {
  const [filters, setFilters] = useState({ actor: '', action: '', repository: '', result: '' });
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const params = new URLSearchParams({ limit: '50', ...Object.fromEntries(Object.entries(filters).filter(([, v]) => v)), ...(cursor ? { cursor } : {}) });
  const { data, error } = useLoad(params.toString(), () => api<Page<Record>>(`/audit?${params.toString()}`));
  const field = (key: keyof typeof filters, label: string) => (
    <input type="search" placeholder={label} aria-label={`Filter by ${label}`} value={filters[key]}
      onChange={(e) => { setFilters({ ...filters, [key]: (e.target as HTMLInputElement).value }); setCursors([]); }} />
  );
  return (
    <section>
      <h1>Activity</h1>
      <div class="toolbar">{field('actor', 'actor')}{field('action', 'action')}{field('repository', 'repository')}
        <select aria-label="Filter by result" value={filters.result} onChange={(e) => { setFilters({ ...filters, result: (e.target as HTMLSelectElement).value }); setCursors([]); }}>
          <option value="">any result</option><option value="success">success</option><option value="denied">denied</option><option value="failure">failure</option>
        </select>
      </div>
      {!data ? <Status error={error} /> : (
        <>
          <table class="list" data-testid="activity">
            <thead><tr><th>When</th><th>Who</th><th>Action</th><th>Repository</th><th>What</th><th>Result</th></tr></thead>
            <tbody>{data.items.map((r) => (
              <tr key={r.id}>
                <td title={new Date(r.time).toISOString()}>{age(r.time)}</td><td>{r.actor ?? '—'}</td><td>{r.action}</td>
                <td>{r.repository ? <a href={href.repository(r.repository)}>{r.repository}</a> : '—'}</td>
                <td>{r.tag ?? ''} {r.digest ? shortDigest(r.digest) : ''}</td>
                <td><Badge kind={r.result === 'success' ? 'ok' : 'sev-high'}>{r.result}{r.detail?.status ? ` ${r.detail.status}` : ''}</Badge></td>
              </tr>))}
            </tbody>
          </table>
          {data.items.length === 0 ? <p class="muted">Nothing recorded that you may see.</p> : null}
          <nav class="pager" aria-label="Pages">
            <button type="button" disabled={!cursors.length} onClick={() => setCursors(cursors.slice(0, -1))}>Newer</button>
            <button type="button" disabled={!data.next} onClick={() => data.next && setCursors([...cursors, data.next])}>Older</button>
          </nav>
        </>
      )}
    </section>
  );
}
