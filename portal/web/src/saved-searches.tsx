import { useEffect, useState } from 'preact/hooks';
import { api } from './api';
import { Modal } from './interaction-actions';
import type { ApiFilter } from './search-filters';

// Seed 000 §1.8: "Save Search", then pick it from the adjacent box. Per user; deletable.

interface Saved {
  id: number;
  name: string;
  query: ApiFilter;
}

export function SavedSearches({ current, onPick }: { current: ApiFilter; onPick: (query: ApiFilter) => void }) {
  const [items, setItems] = useState<Saved[]>([]);
  const [chosen, setChosen] = useState('');
  const [saving, setSaving] = useState(false);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    api<{ items: Saved[] }>('GET', '/saved-searches')
      .then((r) => setItems(r.items))
      .catch(() => setItems([]));
  useEffect(() => void load(), []);

  const save = async (e: Event) => {
    e.preventDefault();
    try {
      const s = await api<Saved>('POST', '/saved-searches', { name: name.trim(), query: current });
      await load();
      setChosen(String(s.id));
      setSaving(false);
      setName('');
      setError(null);
    } catch (err) {
      setError(`The search was not saved: ${(err as Error).message}`);
    }
  };
  const remove = async () => {
    const s = items.find((i) => String(i.id) === chosen);
    if (!s) return;
    try {
      await api('DELETE', `/saved-searches/${s.id}`);
      setChosen('');
      await load();
    } catch (err) {
      setError(`The saved search was not deleted: ${(err as Error).message}`);
    }
  };

  return (
    <>
      <button type="button" onClick={() => setSaving(true)}>
        Save Search
      </button>
      <label class="sr-only" for="saved-search">
        Saved searches
      </label>
      <select
        id="saved-search"
        value={chosen}
        onChange={(e) => {
          const id = (e.currentTarget as HTMLSelectElement).value;
          setChosen(id);
          const s = items.find((i) => String(i.id) === id);
          if (s) onPick(s.query);
        }}
      >
        <option value="">{items.length ? 'Saved searches…' : 'No saved searches'}</option>
        {items.map((s) => (
          <option value={String(s.id)}>{s.name}</option>
        ))}
      </select>
      {chosen && (
        <button type="button" onClick={remove}>
          Delete saved search
        </button>
      )}
      {error && !saving && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {saving && (
        <Modal title="Save Search" onCancel={() => setSaving(false)}>
          <form onSubmit={save}>
            <p class="muted">Saves the filters and sort order that the list uses now.</p>
            <div class="field">
              <label for="saved-name">Name</label>
              <input id="saved-name" required maxLength={100} value={name} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
            </div>
            {error && (
              <p class="error" role="alert">
                {error}
              </p>
            )}
            <div class="actions">
              <button type="button" onClick={() => setSaving(false)}>
                Cancel
              </button>
              <button type="submit" class="primary">
                Save
              </button>
            </div>
          </form>
        </Modal>
      )}
    </>
  );
}
