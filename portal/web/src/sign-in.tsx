import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type SessionInfo } from './api';
import { Brand } from './branding';

/** Username and password; the authenticator code only when the account has TOTP (the API says so). */
export function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn: (s: SessionInfo) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needTotp, setNeedTotp] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const totpRef = useRef<HTMLInputElement>(null);
  const userRef = useRef<HTMLInputElement>(null);

  useEffect(() => userRef.current?.focus(), []);
  useEffect(() => {
    if (needTotp) totpRef.current?.focus();
  }, [needTotp]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = needTotp ? { username, password, totp } : { username, password };
      onSignedIn(await api<SessionInfo>('POST', '/auth/login', body, { anonymous: true }));
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (err instanceof ApiError && err.status === 401 && /needs a TOTP code/i.test(msg)) {
        setNeedTotp(true);
        setError(null);
      } else if (err instanceof ApiError && err.status === 401) {
        setError(needTotp ? 'The authenticator code is wrong or was already used. Wait for the next code and try again.' : 'The username or password is wrong. Check them and try again.');
      } else if (err instanceof ApiError && err.status === 423) {
        setError(`This account is locked: ${msg}. Wait until then, or ask an administrator to unlock it.`);
      } else if (err instanceof ApiError && err.status === 429) {
        setError('Too many failed sign-ins from this browser. Wait a minute and try again.');
      } else setError(msg);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="auth-card" aria-labelledby="signin-title">
      <Brand className="auth-brand" />
      <h1 id="signin-title">Sign in to sipvault</h1>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <div class="field">
          <label for="username">Username</label>
          <input id="username" ref={userRef} autocomplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input id="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </div>
        {needTotp && (
          <div class="field">
            <label for="totp">Authenticator code</label>
            <input
              id="totp"
              ref={totpRef}
              inputMode="numeric"
              autocomplete="one-time-code"
              pattern="[0-9]{6}"
              maxLength={6}
              aria-describedby="totp-help"
              value={totp}
              onInput={(e) => setTotp(e.currentTarget.value.replace(/\D/g, ''))}
            />
            <p id="totp-help" class="help">
              Enter the 6-digit code your authenticator app shows for sipvault.
            </p>
          </div>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary wide" disabled={busy || !username || !password || (needTotp && totp.length !== 6)}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

/** Forced password change (the account's first sign-in, or an administrator's reset). */
export function ChangePassword({ onChanged, onSignOut }: { onChanged: (s: SessionInfo) => void; onSignOut: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (next !== repeat) {
      setError('The two new passwords differ. Type the same new password twice.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onChanged(await api<SessionInfo>('POST', '/auth/password', { currentPassword: current, newPassword: next }));
    } catch (err) {
      setError(`${(err as Error).message}. Choose another password and try again.`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="auth-card" aria-labelledby="pw-title">
      <h1 id="pw-title">Choose a new password</h1>
      <p class="notice">You must change your password before you continue.</p>
      <form onSubmit={submit}>
        <div class="field">
          <label for="current-password">Current password</label>
          <input id="current-password" ref={first} type="password" autocomplete="current-password" value={current} onInput={(e) => setCurrent(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="new-password">New password</label>
          <input id="new-password" type="password" autocomplete="new-password" value={next} onInput={(e) => setNext(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="repeat-password">New password again</label>
          <input id="repeat-password" type="password" autocomplete="new-password" value={repeat} onInput={(e) => setRepeat(e.currentTarget.value)} />
        </div>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary wide" disabled={busy || !current || !next || !repeat}>
          Change password
        </button>
        <button type="button" class="link" onClick={onSignOut}>
          Sign out
        </button>
      </form>
    </main>
  );
}

/** Administrators must enrol an authenticator when portal.auth.requireTotpForAdmins is on. */
export function EnrolTotp({ onDone, onSignOut }: { onDone: () => void; onSignOut: () => void }) {
  const [enrolment, setEnrolment] = useState<{ secret: string; otpauthUri: string } | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api<{ secret: string; otpauthUri: string }>('POST', '/auth/totp/enrol')
      .then(setEnrolment)
      .catch((err: Error) => setError(err.message));
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await api('POST', '/auth/totp/confirm', { code });
      onDone();
    } catch (err) {
      setError(`${(err as Error).message}. Check the code and the device clock, then try again.`);
    }
  };

  return (
    <main class="auth-card" aria-labelledby="totp-title">
      <h1 id="totp-title">Set up your authenticator</h1>
      <p class="notice">Administrators must sign in with an authenticator app. Add this account to your app, then enter the code it shows.</p>
      {enrolment && (
        <p>
          Secret key: <code class="secret">{enrolment.secret}</code>
        </p>
      )}
      <form onSubmit={submit}>
        <div class="field">
          <label for="totp-code">Authenticator code</label>
          <input id="totp-code" inputMode="numeric" autocomplete="one-time-code" maxLength={6} value={code} onInput={(e) => setCode(e.currentTarget.value.replace(/\D/g, ''))} />
        </div>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary wide" disabled={code.length !== 6}>
          Turn on
        </button>
        <button type="button" class="link" onClick={onSignOut}>
          Sign out
        </button>
      </form>
    </main>
  );
}
