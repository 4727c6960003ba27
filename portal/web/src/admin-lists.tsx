import { useState } from 'preact/hooks';
import { Outcome, useAction, useResource, value } from './admin';
import type { Group, User } from './admin-users';
import { useCan } from './access';
import { AddButton, CheckOption, FormActions, toggled } from './form-parts';
import { api } from './api';
import { Pager, useListPages } from './pager';
import { TableHead } from './table-head';

// Groups (members and managers: a Supervisor sees the calls of the groups they manage) and the
// tag vocabulary (seed 000 §1.14 "Manage Tags": TAG NAME | DESCRIPTION).

export function GroupsScreen() {
  const can = useCan();
  const writable = can('groups:write');
  const groups = useResource<{ items: Group[] }>('/groups');
  const { visible, pager } = useListPages(groups.data?.items, 'Groups pages', 'groups-rows');
  const users = useResource<{ items: User[] }>('/users');
  const [editing, setEditing] = useState<number | 'new' | null>(null);
  const [draft, setDraft] = useState({ name: '', description: '', members: [] as number[], managers: [] as number[] });
  const act = useAction();
  const userName = (id: number) => users.data?.items.find((u) => u.id === id)?.username ?? `#${id}`;

  const save = async (e: Event) => {
    e.preventDefault();
    const body = { name: draft.name.trim(), description: draft.description, members: draft.members, managers: draft.managers };
    const ok =
      editing === 'new'
        ? await act.run('Creating the group', () => api('POST', '/groups', body), `Group ${body.name} created.`)
        : await act.run('Saving the group', () => api('PATCH', `/groups/${editing}`, body), `Group ${body.name} saved.`);
    if (ok) {
      setEditing(null);
      groups.reload();
    }
  };
  const remove = (g: Group) => act.run('Deleting the group', () => api('DELETE', `/groups/${g.id}`), `Group ${g.name} deleted.`).then(groups.reload);
  const pick = (key: 'members' | 'managers', id: number, on: boolean) => setDraft({ ...draft, [key]: toggled(draft[key], id, on) });

  return (
    <>
      {writable && editing === null && (
        <AddButton
          label="Add Group"
          onClick={() => {
            setEditing('new');
            setDraft({ name: '', description: '', members: [], managers: [] });
          }}
        />
      )}
      {editing !== null && (
        <form class="admin-form" onSubmit={save} aria-label={editing === 'new' ? 'New group' : 'Edit group'}>
          <div class="field">
            <label for="g-name">Group name</label>
            <input id="g-name" required value={draft.name} onInput={(e) => setDraft({ ...draft, name: value(e) })} />
          </div>
          <div class="field">
            <label for="g-desc">Description</label>
            <input id="g-desc" value={draft.description} onInput={(e) => setDraft({ ...draft, description: value(e) })} />
          </div>
          {(['members', 'managers'] as const).map((key) => (
            <fieldset class="checks">
              <legend>{key === 'members' ? 'Members' : 'Managers'}</legend>
              {users.data?.items.map((u) => (
                <CheckOption label={u.username} checked={draft[key].includes(u.id)} onChange={(on) => pick(key, u.id, on)} />
              ))}
            </fieldset>
          ))}
          <FormActions submitLabel={editing === 'new' ? 'Create group' : 'Save'} busy={act.busy} onCancel={() => setEditing(null)} />
        </form>
      )}
      <Outcome message={act.message} error={act.error ?? groups.error} />
      {groups.data?.items.length === 0 && <p class="empty">No groups yet. {writable ? 'Choose Add Group, then pick its members and managers.' : ''}</p>}
      {groups.data && groups.data.items.length > 0 && (
        <table class="grid" aria-label="Groups">
          <TableHead columns={['Group name', 'Description', 'Members', 'Managers']} actions={writable} />
          <tbody>
            {visible.map((g) => (
              <tr>
                <td>{g.name}</td>
                <td>{g.description}</td>
                <td>{g.members.map(userName).join(', ')}</td>
                <td>{g.managers.map(userName).join(', ')}</td>
                {writable && (
                  <td class="actions">
                    <button
                      type="button"
                      aria-label={`Edit ${g.name}`}
                      onClick={() => {
                        setEditing(g.id);
                        setDraft({ name: g.name, description: g.description, members: g.members, managers: g.managers });
                      }}
                    >
                      Edit
                    </button>
                    <button type="button" class="danger" aria-label={`Delete ${g.name}`} onClick={() => remove(g)}>
                      Delete
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {groups.data && groups.data.items.length > 0 && <Pager {...pager} />}
    </>
  );
}

interface Tag {
  name: string;
  description: string;
  uses: number;
}

export function TagsScreen() {
  const tags = useResource<{ items: Tag[] }>('/tags');
  const { visible, pager } = useListPages(tags.data?.items, 'Tags pages', 'tags-rows');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const act = useAction();
  const add = async (e: Event) => {
    e.preventDefault();
    if (await act.run('Adding the tag', () => api('POST', '/tags', { name: name.trim(), description }), `Tag ${name.trim()} added.`)) {
      setName('');
      setDescription('');
      tags.reload();
    }
  };
  const remove = (t: Tag) => act.run('Deleting the tag', () => api('DELETE', `/tags/${encodeURIComponent(t.name)}`), `Tag ${t.name} deleted.`).then(tags.reload);
  return (
    <>
      <form class="inline-form" onSubmit={add} aria-label="Add New Tag">
        <div class="field">
          <label for="t-name">Tag Name</label>
          <input id="t-name" required maxLength={64} value={name} onInput={(e) => setName(value(e))} />
        </div>
        <div class="field">
          <label for="t-desc">Tag Description</label>
          <input id="t-desc" maxLength={500} value={description} onInput={(e) => setDescription(value(e))} />
        </div>
        <button type="submit" class="primary" disabled={act.busy}>
          Add New Tag
        </button>
      </form>
      <Outcome message={act.message} error={act.error ?? tags.error} />
      {tags.data?.items.length === 0 && <p class="empty">No tags yet. Add one above; users then tag calls from the list or the player.</p>}
      {tags.data && tags.data.items.length > 0 && (
        <table class="grid" aria-label="Tags">
          <thead>
            <tr>
              <th scope="col">TAG NAME</th>
              <th scope="col">DESCRIPTION</th>
              <th scope="col">Calls</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {visible.map((t) => (
              <tr>
                <td>{t.name}</td>
                <td>{t.description}</td>
                <td>{t.uses}</td>
                <td>
                  <button type="button" class="danger" aria-label={`Delete tag ${t.name}`} onClick={() => remove(t)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {tags.data && tags.data.items.length > 0 && <Pager {...pager} />}
    </>
  );
}
