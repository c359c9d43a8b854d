// Small shared pieces: copy buttons, badges, usage bars, loading and error states.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';

export function Copy({ text, label }: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  return (
    <button type="button" class="copy" aria-label={`Copy ${label ?? text}`} title="Copy"
      onClick={() => { void navigator.clipboard?.writeText(text).then(() => setDone(true)); }}>
      {done ? 'Copied' : 'Copy'}
    </button>
  );
}

export function Code({ text, label }: { text: string; label?: string }) {
  return <span class="code"><code>{text}</code><Copy text={text} label={label} /></span>;
}

export function Badge({ kind, children, title }: { kind: string; children: ComponentChildren; title?: string }) {
  return <span class={`badge badge-${kind}`} title={title}>{children}</span>;
}

export function Bar({ used, limit, label }: { used: number; limit: number; label: string }) {
  const pct = limit > 0 ? Math.min(100, Math.round((used / limit) * 100)) : 0;
  return (
    <span class={`bar${pct >= 90 ? ' bar-high' : ''}`} role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label={label}>
      <span style={{ width: `${pct}%` }} />
    </span>
  );
}

/** Loads `load()` whenever `key` changes; renders the error body's message on failure. */
export function useLoad<T>(key: string, load: () => Promise<T>): { data?: T; error?: ApiError | Error; reload: () => void } {
  const [state, setState] = useState<{ key: string; data?: T; error?: Error }>({ key: '' });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then((data) => { if (live) setState({ key, data }); }, (error: Error) => { if (live) setState({ key, error }); });
    return () => { live = false; };
  }, [key, tick]);
  return state.key === key ? { data: state.data, error: state.error, reload: () => setTick((t) => t + 1) } : { reload: () => setTick((t) => t + 1) };
}

export function Status({ error }: { error?: Error }) {
  if (!error) return <p class="muted" role="status">Loading…</p>;
  const notFound = error instanceof ApiError && (error.code === 'NAME_UNKNOWN' || error.code === 'MANIFEST_UNKNOWN');
  return <p class="error" role="alert">{notFound ? 'Not found, or you may not see it.' : error.message}</p>;
}
