// One repository: usage against its quotas, and its tags 50 at a time from the
// index (one API call a page), each with platform chips, size, ages, badges and a
// pull command by digest.
import { useState } from 'preact/hooks';
import { api, enc, type Page } from '../api';
import { Badge, Bar, Code, Status, useLoad } from '../components';
import { age, bytes, platformName, shortDigest } from '../format';
import { href } from '../router';

export interface RepoDetail {
  name: string; tagCount: number; manifestCount: number; sizeBytes: number; lastPushAt?: number; cache?: { upstream: string };
  quotas: Array<{ scope: string; limitBytes: number; usedBytes: number }>; immutableTags: string[];
  access: { pull: boolean; push: boolean; delete: boolean };
}

type Platform = { os: string; architecture: string; variant?: string };

interface TagRow {
  tag: string; digest: string; mediaType?: string; category: string; size?: number; created?: number; pushedAt: number; pushedBy?: string;
  imageSize?: number; platformSizes?: Array<{ digest: string; platform: Platform; bytes: number }>;
  lastPulledAt?: number; platforms?: Platform[]; referrers: Record<string, number>;
  signature?: { signed: boolean; identities: string[] }; vulnerabilities?: { status: string; reason?: string; severity?: string; total?: number; counts?: Record<string, number> };
  accessory?: boolean; immutable?: boolean;
}

export function Repository({ name }: { name: string }) {
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const repo = useLoad(`repo:${name}`, () => api<RepoDetail>(`/repositories/${enc(name)}`));
  const tags = useLoad(`tags:${name}:${cursor ?? ''}`, () => api<Page<TagRow>>(`/repositories/${enc(name)}/-/tags?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`));
  const r = repo.data;
  return (
    <section>
      <p class="crumbs"><a href={href.repositories()}>Repositories</a> / {name}</p>
      <h1>{name} {r?.cache ? <Badge kind="cache">cache of {r.cache.upstream}</Badge> : null}</h1>
      {!r ? <Status error={repo.error} /> : (
        <dl class="facts">
          <dt>Tags</dt><dd>{r.tagCount}</dd>
          <dt>Manifests</dt><dd>{r.manifestCount}</dd>
          <dt>Size</dt><dd>{bytes(r.sizeBytes)}</dd>
          <dt>Last push</dt><dd>{age(r.lastPushAt)}</dd>
          {r.quotas.map((q) => (
            <>
              <dt>Quota {q.scope}</dt>
              <dd><Bar used={q.usedBytes} limit={q.limitBytes} label={`quota ${q.scope}`} /> {bytes(q.usedBytes)} of {bytes(q.limitBytes)}</dd>
            </>
          ))}
          {r.immutableTags.length ? <><dt>Immutable tags</dt><dd>{r.immutableTags.join(', ')}</dd></> : null}
        </dl>
      )}
      <h2>Tags</h2>
      {!tags.data ? <Status error={tags.error} /> : (
        <>
          <table class="list" data-testid="tags">
            <thead><tr><th>Tag</th><th>Digest</th><th>Platforms</th><th>Size</th><th>Created</th><th>Pushed</th><th>Pulled</th><th>Security</th><th /></tr></thead>
            <tbody>
              {tags.data.items.map((t) => (
                <tr key={t.tag} data-tag={t.tag}>
                  <td><a href={href.artifact(name, t.digest)}>{t.tag}</a>{t.immutable ? <Badge kind="muted">immutable</Badge> : null}
                    {t.accessory ? <Badge kind="muted">{accessoryKind(t.tag)}</Badge> : null}</td>
                  <td><Code text={shortDigest(t.digest)} label={`digest of ${t.tag}`} /></td>
                  <td>{t.platforms?.length
                    ? t.platforms.map((p) => <span class="chip" key={platformName(p)}>{platformName(p)}</span>)
                    : <span class="muted">{t.category}</span>}</td>
                  <td><ImageSize row={t} /></td>
                  <td>{age(t.created)}</td>
                  <td title={t.pushedBy ? `by ${t.pushedBy}` : undefined}>{age(t.pushedAt)}</td>
                  <td>{age(t.lastPulledAt)}</td>
                  <td>{t.accessory ? null : <SecurityBadges row={t} />}</td>
                  <td class="actions">
                    <Code text={`${location.host}/${name}@${t.digest}`} label={`pull command for ${t.tag}`} />
                    <a href={href.history(name, t.tag)}>History</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav class="pager" aria-label="Pages">
            <button type="button" disabled={!cursors.length} onClick={() => setCursors(cursors.slice(0, -1))}>Previous</button>
            <button type="button" disabled={!tags.data.next} onClick={() => tags.data?.next && setCursors([...cursors, tags.data.next])}>Next</button>
          </nav>
        </>
      )}
    </section>
  );
}

/** cosign's tag convention: `sha256-<hex>.sig|.att|.sbom` attaches to that digest. */
function accessoryKind(tag: string): string {
  const kind = tag.slice(tag.lastIndexOf('.') + 1);
  return `cosign ${kind === 'sig' ? 'signature' : kind === 'att' ? 'attestation' : kind === 'sbom' ? 'SBOM' : kind}`;
}

/** Config + layers as pulled; an index's per platform under its distinct total. */
function ImageSize({ row }: { row: TagRow }) {
  if (row.imageSize === undefined) return <span title="manifest only">{bytes(row.size)}</span>;
  if (!row.platformSizes?.length) return <span data-testid="image-size">{bytes(row.imageSize)}</span>;
  return (
    <span data-testid="image-size" title="distinct layers of all platforms">{bytes(row.imageSize)}
      {row.platformSizes.map((p) => <div class="muted small" key={p.digest}>{platformName(p.platform)}: {bytes(p.bytes)}</div>)}
    </span>
  );
}

function SecurityBadges({ row }: { row: TagRow }) {
  const v = row.vulnerabilities;
  return (
    <>
      {row.signature?.signed ? <Badge kind="ok" title={row.signature.identities.join(', ')}>signed</Badge>
        : row.referrers.signature ? <Badge kind="muted">signature</Badge> : null}
      {row.referrers.sbom ? <Badge kind="muted">SBOM</Badge> : null}
      {v?.status === 'done' ? <Badge kind={v.severity && v.severity !== 'None' ? `sev-${v.severity.toLowerCase()}` : 'ok'}>{v.total ? `${v.total} vulns (${v.severity})` : 'no known vulns'}</Badge>
        : v?.status === 'not-applicable' ? <Badge kind="muted" title={v.reason}>scan not applicable</Badge>
          : v ? <Badge kind="muted" title={v.reason}>scan {v.status}</Badge> : null}
    </>
  );
}
