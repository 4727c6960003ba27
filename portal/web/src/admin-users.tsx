import { useState } from 'preact/hooks';
import { Outcome, checked, useAction, useResource, value } from './admin';
import { useCan } from './access';
import { AddButton, CheckOption, FormActions, toggled } from './form-parts';
import { api, type Role } from './api';
import { Pager, useListPages } from './pager';
import { formatDate } from './format';
import { TableHead } from './table-head';

// Users (seed 000 §1.15/§1.16 names): role, access profile, extensions, groups, enabled, legal hold.

export interface User {
  id: number;
  username: string;
  role: Role;
  roleName: string;
  extensions: string[];
  mustChangePassword: boolean;
  createdAt: string;
  legalHoldSince: string | null;
  enabled: boolean;
  accessProfileId: number | null;
  accessProfile: { id: number; name: string } | null;
  groups: number[];
  managedGroups: number[];
}
export interface Group {
  id: number;
  name: string;
  description: string;
  members: number[];
  managers: number[];
}
interface Profile {
  id: number;
  name: string;
}

export const ROLES: Array<[Role, string]> = [
  ['sysadmin', 'System Administrator'],
  ['admin', 'Administrator'],
  ['supervisor', 'Supervisor'],
  ['user', 'User/Agent'],
  ['auditor', 'Auditor'],
];

export const roleName = (role: Role): string => ROLES.find(([k]) => k === role)?.[1] ?? role;

interface Draft {
  username: string;
  password: string;
  role: Role;
  extensions: string;
  accessProfileId: string;
  groups: number[];
  managedGroups: number[];
  enabled: boolean;
}
const EMPTY: Draft = { username: '', password: '', role: 'user', extensions: '', accessProfileId: '', groups: [], managedGroups: [], enabled: true };

export function UsersScreen() {
  const can = useCan();
  const writable = can('users:write');
  const users = useResource<{ items: User[] }>('/users');
  const { visible, pager } = useListPages(users.data?.items, 'Users pages', 'users-rows');
  const groups = useResource<{ items: Group[] }>('/groups');
  const profiles = useResource<{ items: Profile[] }>('/access-profiles');
  const [editing, setEditing] = useState<number | 'new' | null>(null);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const act = useAction();
  const groupName = (id: number) => groups.data?.items.find((g) => g.id === id)?.name ?? `#${id}`;

  const open = (u: User | null) => {
    setEditing(u ? u.id : 'new');
    setDraft(
      u
        ? { username: u.username, password: '', role: u.role, extensions: u.extensions.join(', '), accessProfileId: u.accessProfileId ? String(u.accessProfileId) : '', groups: u.groups, managedGroups: u.managedGroups, enabled: u.enabled }
        : EMPTY,
    );
  };
  const save = async (e: Event) => {
    e.preventDefault();
    const common = {
      role: draft.role,
      extensions: draft.extensions.split(/[\s,;]+/).filter(Boolean),
      accessProfileId: draft.accessProfileId ? Number(draft.accessProfileId) : null,
      groups: draft.groups,
      managedGroups: draft.managedGroups,
      enabled: draft.enabled,
    };
    const ok =
      editing === 'new'
        ? await act.run('Creating the user', () => api('POST', '/users', { username: draft.username.trim(), password: draft.password, ...common }), `User ${draft.username.trim()} created. They choose a new password at their first sign-in.`)
        : await act.run('Saving the user', () => api('PATCH', `/users/${editing}`, common), `User ${draft.username} saved.`);
    if (ok) {
      setEditing(null);
      users.reload();
    }
  };
  const toggle = (u: User, what: 'enabled' | 'hold') =>
    what === 'enabled'
      ? act.run('Changing the user', () => api('PATCH', `/users/${u.id}`, { enabled: !u.enabled }), `${u.username} is now ${u.enabled ? 'disabled' : 'enabled'}.`).then(users.reload)
      : act
          .run('Changing the legal hold', () => api(u.legalHoldSince ? 'DELETE' : 'PUT', `/users/${u.id}/legal-hold`), `${u.username} ${u.legalHoldSince ? 'is no longer' : 'is now'} on legal hold.`)
          .then(users.reload);
  const pick = (key: 'groups' | 'managedGroups', id: number, on: boolean) => setDraft({ ...draft, [key]: toggled(draft[key], id, on) });

  return (
    <>
      {writable && editing === null && (
        <AddButton label="Add User" onClick={() => open(null)} />
      )}
      {editing !== null && (
        <form class="admin-form" onSubmit={save} aria-label={editing === 'new' ? 'New user' : `Edit user ${draft.username}`}>
          <div class="field">
            <label for="u-name">Username</label>
            <input id="u-name" required autoFocus={editing === 'new'} disabled={editing !== 'new'} value={draft.username} onInput={(e) => setDraft({ ...draft, username: value(e) })} autoComplete="off" />
          </div>
          {editing === 'new' && (
            <div class="field">
              <label for="u-password">Initial password</label>
              <input id="u-password" type="password" required value={draft.password} onInput={(e) => setDraft({ ...draft, password: value(e) })} autoComplete="new-password" />
            </div>
          )}
          <div class="field">
            <label for="u-role">Role</label>
            <select id="u-role" value={draft.role} onChange={(e) => setDraft({ ...draft, role: value(e) as Role })}>
              {ROLES.map(([k, name]) => (
                <option value={k}>{name}</option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="u-profile">Access profile</label>
            <select id="u-profile" value={draft.accessProfileId} onChange={(e) => setDraft({ ...draft, accessProfileId: value(e) })}>
              <option value="">Default of the role</option>
              {profiles.data?.items.map((p) => (
                <option value={String(p.id)}>{p.name}</option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="u-ext">Extensions</label>
            <input id="u-ext" placeholder="+15551000, 2001" value={draft.extensions} onInput={(e) => setDraft({ ...draft, extensions: value(e) })} />
          </div>
          <div class="field check">
            <input id="u-enabled" type="checkbox" checked={draft.enabled} onChange={(e) => setDraft({ ...draft, enabled: checked(e) })} />
            <label for="u-enabled">Active</label>
          </div>
          {(['groups', 'managedGroups'] as const).map((key) => (
            <fieldset class="checks">
              <legend>{key === 'groups' ? 'Member of groups' : 'Manages groups'}</legend>
              {groups.data?.items.length === 0 && <span class="muted">No groups yet; add them under Groups.</span>}
              {groups.data?.items.map((g) => (
                <CheckOption label={g.name} checked={draft[key].includes(g.id)} onChange={(on) => pick(key, g.id, on)} />
              ))}
            </fieldset>
          ))}
          <FormActions submitLabel={editing === 'new' ? 'Create user' : 'Save'} busy={act.busy} onCancel={() => setEditing(null)} />
        </form>
      )}
      <Outcome message={act.message} error={act.error ?? users.error} />
      {users.data && <p class="counter">Total Users: {users.data.items.length}</p>}
      {users.data && (
        <div class="table-wrap">
          <table class="grid" aria-label="Users">
            <TableHead columns={['Username', 'Role', 'Access profile', 'Extensions', 'Groups', 'Active', 'Legal Hold', 'Created']} actions={writable} />
            <tbody>
              {visible.map((u) => (
                <tr data-user={u.username}>
                  <td>{u.username}</td>
                  <td>{u.roleName}</td>
                  <td>{u.accessProfile?.name ?? ''}</td>
                  <td>{u.extensions.join(', ')}</td>
                  <td>{[...u.groups.map(groupName), ...u.managedGroups.map((g) => `${groupName(g)} (manager)`)].join(', ')}</td>
                  <td>
                    {writable ? (
                      <input type="checkbox" aria-label={`Active: ${u.username}`} checked={u.enabled} onChange={() => toggle(u, 'enabled')} />
                    ) : u.enabled ? (
                      'Yes'
                    ) : (
                      'No'
                    )}
                  </td>
                  <td>
                    {can('legalhold:write') ? (
                      <input type="checkbox" aria-label={`Legal Hold: ${u.username}`} checked={u.legalHoldSince !== null} onChange={() => toggle(u, 'hold')} />
                    ) : u.legalHoldSince ? (
                      'Yes'
                    ) : (
                      'No'
                    )}
                  </td>
                  <td>{formatDate(u.createdAt)}</td>
                  {writable && (
                    <td>
                      <button type="button" onClick={() => open(u)} aria-label={`Edit ${u.username}`}>
                        Edit
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          <Pager {...pager} />
        </div>
      )}
    </>
  );
}
