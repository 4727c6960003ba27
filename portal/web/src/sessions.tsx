import { useState } from 'preact/hooks';
import { Outcome, useAction, useResource, value } from './admin';
import { api, setCsrfToken, type SessionInfo } from './api';
import { formatDate } from './format';
import { roleName } from './admin-users';
import { Pager, useListPages } from './pager';
import { TwoStepSignIn } from './two-step';
import { TableHead } from './table-head';

// Login sessions: your own on the account page; everybody's for holders of "Terminate User Web
// Sessions" (seed 000, Users and Monitoring). Terminating one logs that browser out at its next
// request; terminating your own current one is signing out.

interface LoginSession {
  id: string;
  userId: number;
  username: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

/** "Chrome 131 on Linux" is all an admin needs from a user agent string. */
function browserOf(ua: string | null): string {
  if (!ua) return '';
  const browser = /(Edg|Firefox|Chrome|Safari)\/(\d+)/.exec(ua);
  const os = /(Windows|Mac OS X|Android|iPhone|Linux)/.exec(ua);
  const name = browser ? `${browser[1] === 'Edg' ? 'Edge' : browser[1]} ${browser[2]}` : ua.slice(0, 40);
  return os ? `${name} on ${os[1] === 'Mac OS X' ? 'macOS' : os[1]}` : name;
}

export function SessionsList({ everybody, myUserId, onSignedOut }: { everybody: boolean; myUserId: number; onSignedOut: () => void }) {
  const sessions = useResource<{ items: LoginSession[] }>('/sessions');
  const act = useAction();
  // With sessions:admin the API lists everybody's; the account page shows only yours.
  const items = everybody ? sessions.data?.items : sessions.data?.items.filter((s) => s.userId === myUserId);
  const { visible, pager } = useListPages(items, everybody ? 'Session pages' : 'My session pages', everybody ? 'sessions-rows' : 'my-sessions-rows');
  const terminate = async (s: LoginSession) => {
    const ok = await act.run('Ending the session', () => api('DELETE', `/sessions/${s.id}`), s.current ? undefined : `The session of ${s.username} from ${s.ip ?? 'an unknown address'} has ended.`);
    if (ok && s.current) onSignedOut();
    else sessions.reload();
  };
  return (
    <>
      <Outcome message={act.message} error={act.error ?? sessions.error} />
      {items && (
        <table class="grid compact" aria-label={everybody ? 'Web sessions' : 'My sessions'}>
          <TableHead columns={[...(everybody ? ['User'] : []), 'Signed in', 'Last active', 'Ends', 'IP address', 'Browser']} actions />
          <tbody>
            {visible.map((s) => (
              <tr data-session={s.id} class={s.current ? 'current' : undefined}>
                {everybody && <td>{s.username}</td>}
                <td>
                  {formatDate(s.createdAt)}
                  {s.current && <span class="chip">this browser</span>}
                </td>
                <td>{formatDate(s.lastSeenAt)}</td>
                <td>{formatDate(s.expiresAt)}</td>
                <td>{s.ip ?? ''}</td>
                <td title={s.userAgent ?? ''}>{browserOf(s.userAgent)}</td>
                <td>
                  <button type="button" class="danger" disabled={act.busy} onClick={() => terminate(s)} aria-label={s.current ? 'Sign out this browser' : `End the session of ${s.username} from ${s.ip ?? 'unknown address'}, signed in ${formatDate(s.createdAt)}`}>
                    {s.current ? 'Sign out' : 'End session'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {items && <Pager {...pager} />}
    </>
  );
}

/** The signed-in user's own page (seed 000 toolbar "Logged in user": details of the logged in user). */
export function AccountPage({ session, onSignedOut }: { session: SessionInfo; onSignedOut: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [generation, setGeneration] = useState(0);
  const [totp, setTotp] = useState(session.totpEnabled);
  const act = useAction();
  const change = async (e: Event) => {
    e.preventDefault();
    if (next !== again) return act.refuse('The new password and its confirmation differ: type the same password twice.');
    const changed = () =>
      api<SessionInfo>('POST', '/auth/password', { currentPassword: current, newPassword: next }).then((s) => setCsrfToken(s.csrfToken)); // the answer is a new session
    if (await act.run('Changing the password', changed, 'Your password was changed. Your other sessions were signed out.')) {
      setGeneration((g) => g + 1);
      setCurrent('');
      setNext('');
      setAgain('');
    }
  };
  return (
    <section class="page" aria-labelledby="account-title">
      <div class="page-head">
        <h1 id="account-title">My account</h1>
      </div>
      <p>
        Signed in as <strong>{session.user.username}</strong> ({roleName(session.user.role)}).
      </p>
      <section aria-labelledby="pw-title">
        <h2 id="pw-title">Change password</h2>
        <form class="inline-form" onSubmit={change}>
          <div class="field">
            <label for="acc-current">Current password</label>
            <input id="acc-current" type="password" required autoComplete="current-password" value={current} onInput={(e) => setCurrent(value(e))} />
          </div>
          <div class="field">
            <label for="acc-new">New password</label>
            <input id="acc-new" type="password" required autoComplete="new-password" value={next} onInput={(e) => setNext(value(e))} />
          </div>
          <div class="field">
            <label for="acc-again">Confirm new password</label>
            <input id="acc-again" type="password" required autoComplete="new-password" value={again} onInput={(e) => setAgain(value(e))} />
          </div>
          <button type="submit" class="primary" disabled={act.busy}>
            Change password
          </button>
        </form>
        <Outcome message={act.message} error={act.error} />
      </section>
      <TwoStepSignIn enabled={totp} onChanged={() => void api<SessionInfo>('GET', '/auth/session').then((s) => setTotp(s.totpEnabled))} />
      <section aria-labelledby="my-sessions-title">
        <h2 id="my-sessions-title">My sessions</h2>
        <p class="muted">Every browser signed in as you. End a session you do not recognise, then change your password.</p>
        <SessionsList key={generation} everybody={false} myUserId={session.user.id} onSignedOut={onSignedOut} />
      </section>
    </section>
  );
}
