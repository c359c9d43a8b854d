// Sign in with a username and password (a robot's token or the admin's); the
// registry sets the session cookie and the access token stays in memory.
import { useState } from 'preact/hooks';
import { signIn, type Session } from '../session';

export function Login({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [error, setError] = useState<string>();
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    try {
      onSignedIn(await signIn(String(form.get('username')), String(form.get('password'))));
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section class="login">
      <h1>Sign in</h1>
      <form onSubmit={(e) => { void submit(e); }}>
        <label>Username <input name="username" autocomplete="username" required /></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>
        <button type="submit">Sign in</button>
        {error ? <p class="error" role="alert">{error}</p> : null}
      </form>
    </section>
  );
}
