import { useState } from 'preact/hooks';
import { Outcome, useAction, value } from './admin';
import { api } from './api';

// My account → Two-step sign-in: an authenticator app (TOTP, RFC 6238) on top of the password.
// Turning it on takes a code from the app (so a mistyped secret cannot lock the user out);
// turning it off takes the password.

export function TwoStepSignIn({ enabled, onChanged }: { enabled: boolean; onChanged: () => void }) {
  const [enrolment, setEnrolment] = useState<{ secret: string; otpauthUri: string } | null>(null);
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const act = useAction();

  const start = () => act.run('Starting the set-up', async () => setEnrolment(await api<{ secret: string; otpauthUri: string }>('POST', '/auth/totp/enrol')));
  const confirm = async (e: Event) => {
    e.preventDefault();
    if (await act.run('Turning on two-step sign-in', () => api('POST', '/auth/totp/confirm', { code }), 'Two-step sign-in is on: from now on, sign in with your password and a code from the app.')) {
      setEnrolment(null);
      setCode('');
      onChanged();
    }
  };
  const turnOff = async (e: Event) => {
    e.preventDefault();
    if (await act.run('Turning off two-step sign-in', () => api('POST', '/auth/totp/disable', { password }), 'Two-step sign-in is off.')) {
      setPassword('');
      onChanged();
    }
  };

  return (
    <section aria-labelledby="totp-section">
      <h2 id="totp-section">Two-step sign-in</h2>
      {enabled ? (
        <form class="inline-form" onSubmit={turnOff}>
          <p>On: signing in needs a code from your authenticator app.</p>
          <div class="field">
            <label for="totp-off-password">Password</label>
            <input id="totp-off-password" type="password" required autoComplete="current-password" value={password} onInput={(e) => setPassword(value(e))} />
          </div>
          <button type="submit" disabled={act.busy}>
            Turn off
          </button>
        </form>
      ) : enrolment ? (
        <form class="inline-form" onSubmit={confirm}>
          <p>
            Add this account to your authenticator app with the key <code class="secret">{enrolment.secret}</code>, then enter the code it shows.
          </p>
          <div class="field">
            <label for="totp-new-code">Authenticator code</label>
            <input id="totp-new-code" inputMode="numeric" autoComplete="one-time-code" maxLength={6} value={code} onInput={(e) => setCode(value(e).replace(/\D/g, ''))} />
          </div>
          <button type="submit" class="primary" disabled={code.length !== 6 || act.busy}>
            Turn on
          </button>
        </form>
      ) : (
        <p>
          Off: your password alone signs you in.{' '}
          <button type="button" onClick={start} disabled={act.busy}>
            Set up an authenticator app
          </button>
        </p>
      )}
      <Outcome message={act.message} error={act.error} />
    </section>
  );
}
