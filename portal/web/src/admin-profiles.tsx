import { useState } from 'preact/hooks';
import { Outcome, useAction, useResource, value } from './admin';
import type { Group } from './admin-users';
import { useCan } from './access';
import { AddButton, CheckOption, FormActions, toggled } from './form-parts';
import { api } from './api';
import { Pager, useListPages } from './pager';
import { TableHead } from './table-head';

// Access profiles (seed 000 §1.5 "Set Access Permissions"): a call scope and permission flags,
// with the names and sections GET /access-profiles/permissions gives.

interface Profile {
  id: number;
  name: string;
  description: string;
  callScope: string;
  callScopeName: string;
  permissions: string[];
  groups: number[];
  defaultForRole: string | null;
  userCount: number;
}
interface Catalogue {
  callScopes: Array<{ key: string; name: string }>;
  permissions: Array<{ key: string; name: string; section: string }>;
}
interface Draft {
  name: string;
  description: string;
  callScope: string;
  permissions: string[];
  groups: number[];
}

export function ProfilesScreen() {
  const can = useCan();
  const writable = can('access-profiles:write');
  const profiles = useResource<{ items: Profile[] }>('/access-profiles');
  const { visible, pager } = useListPages(profiles.data?.items, 'Access profile pages', 'profiles-rows');
  const catalogue = useResource<Catalogue>('/access-profiles/permissions');
  const groups = useResource<{ items: Group[] }>('/groups');
  const [editing, setEditing] = useState<number | 'new' | null>(null);
  const [draft, setDraft] = useState<Draft>({ name: '', description: '', callScope: 'own', permissions: [], groups: [] });
  const act = useAction();
  const sections = [...new Set(catalogue.data?.permissions.map((p) => p.section) ?? [])];
  const permName = (key: string) => catalogue.data?.permissions.find((p) => p.key === key)?.name ?? key;

  const save = async (e: Event) => {
    e.preventDefault();
    const body = { ...draft, name: draft.name.trim() };
    const ok =
      editing === 'new'
        ? await act.run('Creating the access profile', () => api('POST', '/access-profiles', body), `Access profile ${body.name} created.`)
        : await act.run('Saving the access profile', () => api('PATCH', `/access-profiles/${editing}`, body), `Access profile ${body.name} saved.`);
    if (ok) {
      setEditing(null);
      profiles.reload();
    }
  };
  const remove = (p: Profile) => act.run('Deleting the access profile', () => api('DELETE', `/access-profiles/${p.id}`), `Access profile ${p.name} deleted.`).then(profiles.reload);
  const pick = (key: 'permissions' | 'groups', v: string | number, on: boolean) => setDraft({ ...draft, [key]: toggled(draft[key] as Array<string | number>, v, on) });

  return (
    <>
      {writable && editing === null && (
        <AddButton
          label="Add Access Profile"
          onClick={() => {
            setEditing('new');
            setDraft({ name: '', description: '', callScope: 'own', permissions: [], groups: [] });
          }}
        />
      )}
      {editing !== null && (
        <form class="admin-form" onSubmit={save} aria-label={editing === 'new' ? 'New access profile' : 'Edit access profile'}>
          <div class="field">
            <label for="p-name">Profile name</label>
            <input id="p-name" required autoFocus value={draft.name} onInput={(e) => setDraft({ ...draft, name: value(e) })} />
          </div>
          <div class="field">
            <label for="p-desc">Description</label>
            <input id="p-desc" value={draft.description} onInput={(e) => setDraft({ ...draft, description: value(e) })} />
          </div>
          <div class="field">
            <label for="p-scope">Call access</label>
            <select id="p-scope" value={draft.callScope} onChange={(e) => setDraft({ ...draft, callScope: value(e) })}>
              {catalogue.data?.callScopes.map((s) => (
                <option value={s.key}>{s.name}</option>
              ))}
            </select>
          </div>
          {sections.map((section) => (
            <fieldset class="checks">
              <legend>{section}</legend>
              {catalogue.data!.permissions
                .filter((p) => p.section === section)
                .map((p) => (
                  <CheckOption label={p.name} checked={draft.permissions.includes(p.key)} onChange={(on) => pick('permissions', p.key, on)} />
                ))}
            </fieldset>
          ))}
          {draft.callScope === 'group' && (
            <fieldset class="checks">
              <legend>Select Groups</legend>
              {groups.data?.items.length === 0 && <span class="muted">No groups yet; add them under Groups.</span>}
              {groups.data?.items.map((g) => (
                <CheckOption label={g.name} checked={draft.groups.includes(g.id)} onChange={(on) => pick('groups', g.id, on)} />
              ))}
            </fieldset>
          )}
          <FormActions submitLabel={editing === 'new' ? 'Create access profile' : 'Save'} busy={act.busy} onCancel={() => setEditing(null)} />
        </form>
      )}
      <Outcome message={act.message} error={act.error ?? profiles.error} />
      {profiles.data && (
        <table class="grid" aria-label="Access profiles">
          <TableHead columns={['Profile name', 'Call access', 'Permissions', 'Default for role', 'TOTAL USERS']} actions={writable} />
          <tbody>
            {visible.map((p) => (
              <tr>
                <td>{p.name}</td>
                <td>{p.callScopeName}</td>
                <td>{p.permissions.map(permName).join(', ')}</td>
                <td>{p.defaultForRole ?? ''}</td>
                <td>{p.userCount}</td>
                {writable && (
                  <td class="actions">
                    <button
                      type="button"
                      aria-label={`Edit ${p.name}`}
                      onClick={() => {
                        setEditing(p.id);
                        setDraft({ name: p.name, description: p.description, callScope: p.callScope, permissions: p.permissions, groups: p.groups });
                      }}
                    >
                      Edit
                    </button>
                    <button type="button" class="danger" aria-label={`Delete ${p.name}`} disabled={p.defaultForRole !== null || p.userCount > 0} onClick={() => remove(p)}>
                      Delete
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {profiles.data && <Pager {...pager} />}
    </>
  );
}
