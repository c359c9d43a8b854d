// The home page: every repository the viewer may pull, searchable and sortable,
// a page of 50 at a time, with a size bar and the cache badge.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Page } from '../api';
import { Badge, Bar, Status, useLoad } from '../components';
import { age, bytes } from '../format';
import { href } from '../router';

interface Repo { name: string; tagCount: number; sizeBytes: number; lastPushAt?: number; cache?: { upstream: string } }

export function Repositories() {
  const [q, setQ] = useState('');
  const [sort, setSort] = useState('name');
  const [cursors, setCursors] = useState<string[]>([]);
  const search = useRef<HTMLInputElement>(null);
  const cursor = cursors.at(-1);
  const params = new URLSearchParams({ sort, limit: '50', ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) });
  const { data, error } = useLoad(params.toString(), () => api<Page<Repo>>(`/repositories?${params.toString()}`));
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === '/' && document.activeElement?.tagName !== 'INPUT') {
        e.preventDefault();
        search.current?.focus();
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
  const max = Math.max(1, ...(data?.items ?? []).map((r) => r.sizeBytes));
  return (
    <section>
      <h1>Repositories</h1>
      <div class="toolbar">
        <input ref={search} type="search" placeholder="Search repositories (press /)" aria-label="Search repositories" value={q}
          onInput={(e) => { setQ((e.target as HTMLInputElement).value); setCursors([]); }} />
        <label>Sort <select value={sort} onChange={(e) => { setSort((e.target as HTMLSelectElement).value); setCursors([]); }}>
          <option value="name">Name</option><option value="lastPush">Last push</option><option value="size">Size</option>
        </select></label>
      </div>
      {!data ? <Status error={error} /> : (
        <>
          <table class="list" data-testid="repositories">
            <thead><tr><th>Name</th><th>Tags</th><th>Size</th><th class="wide">Usage</th><th>Last push</th></tr></thead>
            <tbody>
              {data.items.map((r) => (
                <tr key={r.name}>
                  <td><a href={href.repository(r.name)}>{r.name}</a> {r.cache ? <Badge kind="cache" title={`cache of ${r.cache.upstream}`}>cache</Badge> : null}</td>
                  <td>{r.tagCount}</td>
                  <td>{bytes(r.sizeBytes)}</td>
                  <td class="wide"><Bar used={r.sizeBytes} limit={max} label={`${r.name} size relative to the largest shown`} /></td>
                  <td>{age(r.lastPushAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.items.length === 0 ? <p class="muted">No repositories to show.</p> : null}
          <Pager back={cursors.length > 0} next={data.next} onBack={() => setCursors(cursors.slice(0, -1))} onNext={(n) => setCursors([...cursors, n])} />
        </>
      )}
    </section>
  );
}

export function Pager({ back, next, onBack, onNext }: { back: boolean; next?: string; onBack: () => void; onNext: (next: string) => void }) {
  if (!back && !next) return null;
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={!back} onClick={onBack}>Previous</button>
      <button type="button" disabled={!next} onClick={() => next && onNext(next)}>Next</button>
    </nav>
  );
}
