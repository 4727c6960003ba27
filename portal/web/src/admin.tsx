import { useEffect, useState } from 'preact/hooks';
import { useCan } from './access';
import { AlarmsScreen, ActivityScreen, AuditScreen } from './admin-logs';
import { GroupsScreen, TagsScreen } from './admin-lists';
import { ProfilesScreen } from './admin-profiles';
import { SettingsScreen } from './admin-settings';
import { BrandingScreen } from './branding';
import { SessionsList } from './sessions';
import { UsersScreen } from './admin-users';
import { api, ApiError } from './api';
import { linkClick } from './router';

// Administration: one screen per resource, each listed only when the signed-in user holds the
// permission its API needs (GET /me/access), whatever the role is called.

export interface Screen {
  path: string;
  label: string;
  permission: string;
}

export const SCREENS: Screen[] = [
  { path: '/admin/users', label: 'Users', permission: 'users:read' },
  { path: '/admin/groups', label: 'Groups', permission: 'users:read' },
  { path: '/admin/access-profiles', label: 'Access Profiles', permission: 'users:read' },
  { path: '/admin/tags', label: 'Tags', permission: 'tags:write' },
  { path: '/admin/settings', label: 'System Settings', permission: 'system:configure' },
  { path: '/admin/branding', label: 'Branding', permission: 'system:configure' },
  { path: '/admin/sessions', label: 'Web Sessions', permission: 'sessions:admin' },
  { path: '/admin/alarms', label: 'Alarms', permission: 'alarms:read' },
  { path: '/admin/activity', label: 'System Activity Log', permission: 'alarms:read' },
  { path: '/admin/audit', label: 'Audit Trail', permission: 'audit:read' },
];

export const adminScreens = (perms: ReadonlySet<string>): Screen[] => SCREENS.filter((s) => perms.has(s.permission));

export function AdminPage({ path, myUserId, onSignedOut }: { path: string; myUserId: number; onSignedOut: () => void }) {
  const can = useCan();
  const screens = SCREENS.filter((s) => can(s.permission));
  const screen = screens.find((s) => path === s.path || path.startsWith(`${s.path}/`));
  let body;
  if (screens.length === 0) body = <p class="empty">Your access profile includes no administration screens. Ask a System Administrator if you need one.</p>;
  else if (!screen) body = <p class="empty">Choose a screen above.</p>;
  else if (screen.path === '/admin/users') body = <UsersScreen />;
  else if (screen.path === '/admin/groups') body = <GroupsScreen />;
  else if (screen.path === '/admin/access-profiles') body = <ProfilesScreen />;
  else if (screen.path === '/admin/tags') body = <TagsScreen />;
  else if (screen.path === '/admin/settings') body = <SettingsScreen />;
  else if (screen.path === '/admin/branding') body = <BrandingScreen />;
  else if (screen.path === '/admin/sessions') body = <SessionsList everybody myUserId={myUserId} onSignedOut={onSignedOut} />;
  else if (screen.path === '/admin/alarms') body = <AlarmsScreen />;
  else if (screen.path === '/admin/activity') body = <ActivityScreen />;
  else body = <AuditScreen />;
  return (
    <section class="page" aria-labelledby="admin-title">
      <div class="page-head">
        <h1 id="admin-title">{screen?.label ?? 'Administration'}</h1>
      </div>
      <nav class="admin-nav" aria-label="Administration screens">
        {screens.map((s) => (
          <a href={s.path} onClick={linkClick} aria-current={s === screen ? 'page' : undefined}>
            {s.label}
          </a>
        ))}
      </nav>
      {body}
    </section>
  );
}

/** Loads a resource; `reload()` fetches again after a change. */
export function useResource<T>(path: string | null): { data: T | null; error: string | null; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    api<T>('GET', path)
      .then((d) => live && (setData(d), setError(null)))
      .catch((e: unknown) => live && !(e instanceof ApiError && e.status === 401) && setError((e as Error).message));
    return () => void (live = false);
  }, [path, n]);
  return { data, error, reload: () => setN((x) => x + 1) };
}

/** Runs a change, reporting its outcome in one place: a message on success, the API's reason on failure. */
/** What a successful change says: fixed text, or text made from the API's answer. */
export type Done<T> = string | ((answer: T) => string);

export function useAction(): {
  busy: boolean;
  message: string | null;
  error: string | null;
  run: <T>(label: string, fn: () => Promise<T>, done?: Done<T>) => Promise<boolean>;
  /** Says what is wrong with the form before anything is sent. */
  refuse: (why: string) => void;
} {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async <T,>(label: string, fn: () => Promise<T>, done?: Done<T>) => {
    setBusy(true);
    setError(null);
    setMessage(null);
    try {
      const answer = await fn();
      if (done) setMessage(typeof done === 'string' ? done : done(answer));
      return true;
    } catch (e) {
      // An ended session is said once, by the sign-in page it leads to.
      if (!(e instanceof ApiError && e.status === 401)) setError(`${label} failed: ${(e as Error).message}`);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const refuse = (why: string) => {
    setMessage(null);
    setError(why);
  };
  return { busy, message, error, run, refuse };
}

export function Outcome({ message, error }: { message: string | null; error: string | null }) {
  return (
    <>
      {message && (
        <p class="notice" role="status">
          {message}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

export const value = (e: Event): string => (e.currentTarget as HTMLInputElement).value;
export const checked = (e: Event): boolean => (e.currentTarget as HTMLInputElement).checked;
