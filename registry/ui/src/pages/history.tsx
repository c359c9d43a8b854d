// A tag's history, newest first: every digest it pointed to, who moved it and
// when, and a roll back to any earlier digest for those who may push.
import { useState } from 'preact/hooks';
import { api, enc, type Page } from '../api';
import { Code, Status, useLoad } from '../components';
import { age, shortDigest } from '../format';
import { href } from '../router';
import { resume } from '../session';
import type { RepoDetail } from './repository';

interface Entry { id: number; tag: string; action: string; digest?: string; previousDigest?: string; actor?: string; at: number }

export function History({ name, tag }: { name: string; tag: string }) {
  // A token naming push (when the policy grants it) so the repository says whether this viewer may roll back.
  const repo = useLoad(`repo-push:${name}`, async () => {
    await resume(`repository:${name}:pull,push`);
    return api<RepoDetail>(`/repositories/${enc(name)}`);
  });
  const history = useLoad(`h:${name}:${tag}`, () => api<Page<Entry> & { digest?: string }>(`/repositories/${enc(name)}/-/tags/${encodeURIComponent(tag)}/history`));
  const [message, setMessage] = useState<string>();
  const rollBack = async (digest: string) => {
    setMessage(undefined);
    try {
      // The page's token names pull only; a rollback needs push on this repository.
      await resume(`repository:${name}:pull,push`);
      await api(`/repositories/${enc(name)}/-/tags/${encodeURIComponent(tag)}/restore`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ digest }),
      });
      setMessage(`${tag} now points to ${shortDigest(digest)}.`);
      history.reload();
    } catch (err) {
      setMessage(`Roll back refused: ${(err as Error).message}`);
    }
  };
  const h = history.data;
  const canPush = repo.data?.access.push === true;
  return (
    <section>
      <p class="crumbs"><a href={href.repositories()}>Repositories</a> / <a href={href.repository(name)}>{name}</a> / {tag}</p>
      <h1>History of {tag}</h1>
      {h?.digest ? <p>Now: <Code text={h.digest} label="current digest" /></p> : null}
      {message ? <p role="status" class="notice">{message}</p> : null}
      {!h ? <Status error={history.error} /> : (
        <table class="list" data-testid="history" data-access={repo.data ? (canPush ? 'push' : 'pull') : 'loading'}>
          <thead><tr><th>When</th><th>Action</th><th>Digest</th><th>By</th><th /></tr></thead>
          <tbody>{h.items.map((e) => (
            <tr key={e.id}>
              <td>{age(e.at)}</td><td>{e.action}</td>
              <td>{e.digest ? <a href={href.artifact(name, e.digest)}>{shortDigest(e.digest)}</a> : '—'}</td>
              <td>{e.actor ?? '—'}</td>
              <td>{canPush && e.digest && e.digest !== h.digest
                ? <button type="button" onClick={() => { void rollBack(e.digest!); }}>Roll back to this</button> : null}</td>
            </tr>))}
          </tbody>
        </table>
      )}
    </section>
  );
}
