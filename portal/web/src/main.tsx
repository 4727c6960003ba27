import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { AccessContext } from './access';
import { api, ApiError, setCsrfToken, whenSessionEnds, type MyAccess, type SessionInfo } from './api';
import { ActiveCallsPage } from './active-calls';
import { AdminPage, adminScreens } from './admin';
import { Brand } from './branding';
import { InteractionsPage } from './interactions';
import { PlayerPage } from './player';
import { AccountPage } from './sessions';
import { roleName } from './admin-users';
import { linkClick, navigate, usePath } from './router';
import { ChangePassword, EnrolTotp, SignIn } from './sign-in';
import './styles.css';

function App() {
  // undefined: still asking the API whether this browser has a session.
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const [notice, setNotice] = useState<string | null>(null);
  const [fatal, setFatal] = useState<string | null>(null);
  const path = usePath();

  const adopt = (s: SessionInfo | null) => {
    setCsrfToken(s?.csrfToken ?? '');
    setSession(s);
  };

  useEffect(() => {
    whenSessionEnds((message) => {
      adopt(null);
      setNotice(message);
    });
    api<SessionInfo>('GET', '/auth/session', undefined, { anonymous: true })
      .then(adopt)
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 401) adopt(null);
        else setFatal((err as Error).message);
      });
  }, []);

  const signOut = async () => {
    try {
      await api('POST', '/auth/logout', undefined, { anonymous: true });
    } catch {
      // The session may already be gone; signing out locally is what matters.
    }
    adopt(null);
    setNotice('You have signed out.');
  };

  if (fatal) {
    return (
      <main class="auth-card">
        <p class="error" role="alert">
          {fatal}
        </p>
        <button type="button" onClick={() => location.reload()}>
          Try again
        </button>
      </main>
    );
  }
  if (session === undefined) return <p class="loading">Loading…</p>;
  if (session === null) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(s) => {
          setNotice(null);
          adopt(s);
        }}
      />
    );
  }
  if (session.pending === 'password-change') return <ChangePassword onChanged={adopt} onSignOut={signOut} />;
  if (session.pending === 'totp-enrolment') {
    return <EnrolTotp onDone={() => api<SessionInfo>('GET', '/auth/session').then(adopt)} onSignOut={signOut} />;
  }
  return <Shell session={session} path={path} onSignOut={signOut} />;
}

function Shell({ session, path, onSignOut }: { session: SessionInfo; path: string; onSignOut: () => void }) {
  const [perms, setPerms] = useState<ReadonlySet<string> | null>(null);
  const [accessError, setAccessError] = useState<string | null>(null);
  useEffect(() => {
    api<MyAccess>('GET', '/me/access')
      .then((a) => setPerms(new Set(a.permissions)))
      .catch((err: unknown) => {
        if (!(err instanceof ApiError && err.status === 401)) setAccessError((err as Error).message);
      });
  }, [session.user.id]);
  const canSeeCalls = perms?.has('interactions:read') ?? false;
  useEffect(() => {
    if (path === '/' || path === '/index.html') navigate('/interactions', { replace: true });
    // Seed 000's "Call Link" form, https://<host>/ui/interactions/<Call Id>, leads to the same player.
    else if (path.startsWith('/ui/')) navigate(path.slice(3), { replace: true });
  }, [path]);
  const player = /^\/interactions\/([0-9a-f]{24})$/.exec(path);
  const nav = (href: string, label: string, current = path.startsWith(href)) => (
    <a href={href} onClick={linkClick} aria-current={current ? 'page' : undefined}>
      {label}
    </a>
  );

  let page;
  if (accessError) {
    page = (
      <p class="error" role="alert">
        Your permissions could not be read: {accessError}. Reload the page to try again.
      </p>
    );
  } else if (perms === null) page = <p class="loading">Loading…</p>;
  else if (path.startsWith('/admin')) page = <AdminPage path={path} myUserId={session.user.id} onSignedOut={onSignOut} />;
  else if (path === '/account') page = <AccountPage session={session} onSignedOut={onSignOut} />;
  else if (!canSeeCalls) {
    page = (
      <div class="empty">
        <p>
          Your role has no access to recordings. {perms.has('audit:read') ? <a href="/admin/audit" onClick={linkClick}>Open the Audit Trail</a> : 'Ask an administrator for access.'}
        </p>
      </div>
    );
  } else if (player) page = <PlayerPage id={player[1]!} myUserId={session.user.id} />;
  else if (path === '/interactions' || path === '/' || path === '/index.html' || path.startsWith('/ui/')) page = <InteractionsPage session={session} />;
  else if (path === '/calls') page = <ActiveCallsPage myUserId={session.user.id} />;
  else if (path === '/calls/mine') page = <ActiveCallsPage mine myUserId={session.user.id} />;
  else {
    page = (
      <div class="empty">
        <h1>Page not found</h1>
        <p>
          There is no page at {path}. Go to <a href="/interactions" onClick={linkClick}>Interactions</a>.
        </p>
      </div>
    );
  }

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <Brand />
        <nav aria-label="Main">
          {canSeeCalls && nav('/interactions', 'Interactions')}
          {perms?.has('calls:read') && nav('/calls', 'Active Calls', path === '/calls')}
          {perms?.has('calls:read') && nav('/calls/mine', 'My Active Calls')}
          {perms && adminScreens(perms).length > 0 && nav(adminScreens(perms)[0]!.path, 'Administration', path.startsWith('/admin'))}
        </nav>
        <a class="who" href="/account" onClick={linkClick} aria-current={path === '/account' ? 'page' : undefined} title="My account: password and sessions">
          <span class="sr-only">My account, signed in as </span>
          {session.user.username} <span class="role">{roleName(session.user.role)}</span>
        </a>
        <button type="button" class="ghost" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <AccessContext.Provider value={perms ?? new Set()}>{page}</AccessContext.Provider>
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
