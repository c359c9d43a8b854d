// One artifact by digest in three API calls (the artifact, its base images, its
// derived images): platforms under their index, config, annotations, layers with
// the step that made each, referrers by kind, signature, vulnerabilities, and the
// bytes deleting it would free.
import { api, enc } from '../api';
import { Badge, Code, Status, useLoad } from '../components';
import { age, bytes, platformName, shortDigest } from '../format';
import { href } from '../router';

type Platform = { os: string; architecture: string; variant?: string };
interface Artifact {
  repository: string; digest: string; mediaType: string; artifactType?: string; category: string; size: number; imageSize?: number; pushedAt: number; created?: number;
  tags: string[]; manifests?: Array<{ digest: string; size?: number; imageSize?: number; platform?: Platform; attestation?: boolean; present: boolean }>;
  parents?: Array<{ digest: string; tags: string[] }>;
  subject?: { digest: string; present: boolean; tags: string[] };
  annotations?: Record<string, string>; base?: { name?: string; digest?: string };
  config?: { digest: string; entrypoint?: string[]; cmd?: string[]; env?: string[]; labels?: Record<string, string>; user?: string; workingDir?: string; os?: string; architecture?: string };
  helmChart?: Record<string, unknown>;
  layers?: Array<{ digest: string; size?: number; createdBy?: string; mediaType?: string }>;
  referrers: Array<{ artifactType: string; category: string; count: number; items: Array<{ digest: string; tag?: string; size?: number; artifactType?: string }> }>;
  signature?: { signed: boolean; identities: string[]; verdicts: Array<{ keyset: string; signed: boolean; identities: string[]; reasons: string[] }> };
  vulnerabilities?: { status: string; reason?: string; severity?: string; total?: number; counts?: Record<string, number>; truncated?: boolean;
    vulnerabilities?: Array<{ id: string; package: string; version: string; fixVersion?: string; severity: string; link?: string }> };
  freed: { bytes: number; repositoryBytes: number; manifests: number; blobs: number; sharedBlobs: number };
}
interface Lineage { images: Array<{ repository: string; digest: string; tags: string[]; via: string }>; platforms?: Array<{ digest: string; platform?: Platform; images: Lineage['images'] }> }

export function ArtifactPage({ name, digest }: { name: string; digest: string }) {
  const base = `/repositories/${enc(name)}/-/manifests/${digest}`;
  const { data: a, error } = useLoad(`a:${name}@${digest}`, () => api<Artifact>(base));
  const lineage = useLoad(`l:${name}@${digest}`, () => Promise.all([api<Lineage>(`${base}/base`), api<Lineage>(`${base}/derived`)]));
  if (!a) return <section><h1>{shortDigest(digest)}</h1><Status error={error} /></section>;
  return (
    <section>
      <p class="crumbs"><a href={href.repositories()}>Repositories</a> / <a href={href.repository(name)}>{name}</a> / {shortDigest(digest)}</p>
      <h1>{a.tags.length ? a.tags.join(', ') : shortDigest(a.digest)} <Badge kind="muted">{a.category}</Badge>
        {a.signature ? <Badge kind={a.signature.signed ? 'ok' : 'sev-high'}>{a.signature.signed ? 'signed' : 'signature not verified'}</Badge> : null}</h1>
      <p>Pull: <Code text={`${location.host}/${name}@${a.digest}`} label="pull command" /></p>
      <dl class="facts">
        <dt>Digest</dt><dd><Code text={a.digest} label="digest" /></dd>
        <dt>Media type</dt><dd>{a.mediaType}</dd>
        {a.artifactType ? <><dt>Artifact type</dt><dd>{a.artifactType}</dd></> : null}
        {a.imageSize !== undefined ? <><dt>{a.manifests ? 'Size, all platforms' : 'Image size'}</dt><dd data-testid="image-size">{bytes(a.imageSize)} (config and layers, compressed)</dd></> : null}
        <dt>Manifest size</dt><dd>{bytes(a.size)}</dd>
        <dt>Created</dt><dd>{age(a.created)}</dd>
        <dt>Pushed</dt><dd>{age(a.pushedAt)}</dd>
        <dt>Deleting frees</dt><dd data-testid="freed">{bytes(a.freed.bytes)} of storage ({bytes(a.freed.repositoryBytes)} of this repository's usage; {a.freed.sharedBlobs} of {a.freed.blobs} blobs shared)</dd>
        {a.base ? <><dt>Base image</dt><dd>{a.base.name ?? ''} {a.base.digest ? <code>{shortDigest(a.base.digest)}</code> : null}</dd></> : null}
      </dl>
      {a.subject ? <p>Refers to <a href={href.artifact(name, a.subject.digest)}>{a.subject.tags[0] ?? shortDigest(a.subject.digest)}</a></p> : null}
      {a.parents?.length ? <p>Platform of {a.parents.map((p) => <a key={p.digest} href={href.artifact(name, p.digest)}>{p.tags[0] ?? shortDigest(p.digest)} </a>)}</p> : null}
      {a.manifests ? (
        <>
          <h2>Platforms</h2>
          <table class="list" data-testid="platforms">
            <thead><tr><th>Platform</th><th>Digest</th><th>Image size</th></tr></thead>
            <tbody>{a.manifests.filter((m) => !m.attestation).map((m) => (
              <tr key={m.digest}>
                <td>{m.platform ? <span class="chip">{platformName(m.platform)}</span> : '—'}</td>
                <td>{m.present ? <a href={href.artifact(name, m.digest)}>{shortDigest(m.digest)}</a> : <span class="muted">{shortDigest(m.digest)} (not in this repository)</span>}</td>
                <td>{bytes(m.imageSize)}</td>
              </tr>))}
            </tbody>
          </table>
        </>
      ) : null}
      {a.config ? <Config config={a.config} /> : null}
      {a.helmChart ? <><h2>Helm chart</h2><dl class="facts">{Object.entries(a.helmChart).filter(([, v]) => typeof v === 'string').map(([k, v]) => <><dt>{k}</dt><dd>{String(v)}</dd></>)}</dl></> : null}
      {a.annotations ? <><h2>Annotations</h2><KeyValues values={a.annotations} /></> : null}
      {a.layers?.length ? (
        <>
          <h2>Layers</h2>
          <table class="list" data-testid="layers">
            <thead><tr><th>#</th><th>Size</th><th>Created by</th></tr></thead>
            <tbody>{a.layers.map((l, i) => <tr key={`${i}`}><td>{i + 1}</td><td>{bytes(l.size)}</td><td><code class="cmd">{l.createdBy ?? shortDigest(l.digest)}</code></td></tr>)}</tbody>
          </table>
        </>
      ) : null}
      <h2>Referrers</h2>
      {a.referrers.length === 0 ? <p class="muted">None.</p> : (
        <table class="list" data-testid="referrers">
          <thead><tr><th>Kind</th><th>Artifact type</th><th>Count</th><th>Items</th></tr></thead>
          <tbody>{a.referrers.map((g) => (
            <tr key={g.artifactType}><td><Badge kind="muted">{g.category}</Badge></td><td>{g.artifactType || '—'}</td><td>{g.count}</td>
              <td>{g.items.map((i) => <a key={i.digest} href={href.artifact(name, i.digest)}>{i.tag ?? shortDigest(i.digest)} </a>)}</td></tr>))}
          </tbody>
        </table>
      )}
      {a.signature ? <><h2>Signature</h2><ul data-testid="verdicts">{a.signature.verdicts.map((v) => (
        <li key={v.keyset}>{v.keyset}: {v.signed ? `verified by ${v.identities.join(', ')}` : `not verified (${v.reasons.join('; ') || 'no signature found'})`}</li>))}</ul></> : null}
      <Vulnerabilities v={a.vulnerabilities} />
      <h2>Base and derived images</h2>
      {!lineage.data ? <Status error={lineage.error} /> : <Related base={lineage.data[0]} derived={lineage.data[1]} />}
    </section>
  );
}

function Config({ config }: { config: NonNullable<Artifact['config']> }) {
  return (
    <>
      <h2>Configuration</h2>
      <dl class="facts">
        {config.os ? <><dt>Platform</dt><dd>{config.os}/{config.architecture}</dd></> : null}
        {config.entrypoint ? <><dt>Entrypoint</dt><dd><code>{JSON.stringify(config.entrypoint)}</code></dd></> : null}
        {config.cmd ? <><dt>Command</dt><dd><code>{JSON.stringify(config.cmd)}</code></dd></> : null}
        {config.user ? <><dt>User</dt><dd>{config.user}</dd></> : null}
        {config.workingDir ? <><dt>Working dir</dt><dd>{config.workingDir}</dd></> : null}
        {config.env?.length ? <><dt>Environment</dt><dd>{config.env.map((e) => <div key={e}><code>{e}</code></div>)}</dd></> : null}
      </dl>
      {config.labels ? <><h3>Labels</h3><KeyValues values={config.labels} /></> : null}
    </>
  );
}

function KeyValues({ values }: { values: Record<string, string> }) {
  return <dl class="facts">{Object.entries(values).map(([k, v]) => <><dt>{k}</dt><dd>{v}</dd></>)}</dl>;
}

function Vulnerabilities({ v }: { v: Artifact['vulnerabilities'] }) {
  if (!v) return <><h2>Vulnerabilities</h2><p class="muted">Not scanned.</p></>;
  if (v.status === 'not-applicable') return <><h2>Vulnerabilities</h2><p class="muted" data-testid="scan-not-applicable">Not applicable: {v.reason ?? 'not a container image'}.</p></>;
  if (v.status !== 'done') return <><h2>Vulnerabilities</h2><p class="muted">Scan {v.status}{v.reason ? `: ${v.reason}` : ''}.</p></>;
  return (
    <>
      <h2>Vulnerabilities</h2>
      <p>{v.total ? Object.entries(v.counts ?? {}).map(([s, n]) => <Badge key={s} kind={`sev-${s.toLowerCase()}`}>{n} {s}</Badge>) : 'No known vulnerabilities.'}</p>
      {v.vulnerabilities?.length ? (
        <table class="list" data-testid="vulnerabilities">
          <thead><tr><th>ID</th><th>Severity</th><th>Package</th><th>Version</th><th>Fixed in</th></tr></thead>
          <tbody>{v.vulnerabilities.map((x) => (
            <tr key={`${x.id}:${x.package}`}><td>{x.id}</td><td><Badge kind={`sev-${x.severity.toLowerCase()}`}>{x.severity}</Badge></td><td>{x.package}</td><td>{x.version}</td><td>{x.fixVersion ?? '—'}</td></tr>))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}

function Related({ base, derived }: { base: Lineage; derived: Lineage }) {
  const list = (l: Lineage) => [...l.images, ...(l.platforms ?? []).flatMap((p) => p.images)];
  const show = (title: string, images: Lineage['images']) => (
    <p>{title}: {images.length === 0 ? <span class="muted">none found</span>
      : images.map((i) => <a key={`${i.repository}@${i.digest}`} href={href.artifact(i.repository, i.digest)}>{i.repository}:{i.tags[0] ?? shortDigest(i.digest)} </a>)}</p>
  );
  return <>{show('Built on', list(base))}{show('Used by', list(derived))}</>;
}
