// The web UI: a header with the pages and who is signed in, and the page the
// hash names. The session is resumed from the cookie on load.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { calls } from './api';
import { Activity } from './pages/activity';
import { ArtifactPage } from './pages/artifact';
import { History } from './pages/history';
import { Login } from './pages/login';
import { Repositories } from './pages/repositories';
import { Repository } from './pages/repository';
import { StoragePage } from './pages/storage';
import { parse, type Route } from './router';
import { resume, signOut, type Session } from './session';

function theme(next?: string): string {
  const chosen = next ?? localStorage.getItem('berth-theme') ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
  document.documentElement.dataset.theme = chosen;
  if (next) localStorage.setItem('berth-theme', next);
  return chosen;
}

function App() {
  const [route, setRoute] = useState<Route>(parse(location.hash));
  const [session, setSession] = useState<Session>();
  const [mode, setMode] = useState(theme());
  useEffect(() => {
    const onHash = () => { calls.count = 0; setRoute(parse(location.hash)); scrollTo(0, 0); };
    addEventListener('hashchange', onHash);
    void resume().then(setSession, () => setSession({ subject: 'anonymous', auth: true }));
    return () => removeEventListener('hashchange', onHash);
  }, []);
  if (!session) return <p class="muted">Loading…</p>;
  const page = route.page === 'login' ? <Login onSignedIn={(s) => { setSession(s); location.hash = '#/'; }} />
    : route.page === 'repository' ? <Repository key={route.name} name={route.name} />
      : route.page === 'artifact' ? <ArtifactPage key={route.digest} name={route.name} digest={route.digest} />
        : route.page === 'history' ? <History name={route.name} tag={route.tag} />
          : route.page === 'activity' ? <Activity />
            : route.page === 'storage' ? <StoragePage />
              : <Repositories />;
  return (
    <>
      <header>
        <a class="brand" href="#/">Berth</a>
        <nav aria-label="Main">
          <a href="#/" aria-current={route.page === 'repositories' ? 'page' : undefined}>Repositories</a>
          <a href="#/activity" aria-current={route.page === 'activity' ? 'page' : undefined}>Activity</a>
          <a href="#/storage" aria-current={route.page === 'storage' ? 'page' : undefined}>Storage</a>
        </nav>
        <span class="who" data-testid="who">{session.subject}</span>
        {session.auth && session.subject === 'anonymous' ? <a href="#/login">Sign in</a> : null}
        {session.auth && session.subject !== 'anonymous'
          ? <button type="button" onClick={() => { void signOut().then(() => { setSession({ subject: 'anonymous', auth: true }); location.hash = '#/'; }); }}>Sign out</button> : null}
        <button type="button" aria-label="Switch theme" onClick={() => setMode(theme(mode === 'dark' ? 'light' : 'dark'))}>{mode === 'dark' ? 'Light' : 'Dark'}</button>
      </header>
      <main key={session.subject}>{page}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
