import { useEffect, useState } from 'preact/hooks';
import { useCan } from './access';
import { api, type Interaction } from './api';
import { Outcome, useAction } from './admin';
import { formatDate } from './format';

// In the player: notes (add; delete your own, or others' with "Delete Notes of Other Users"),
// tags from the vocabulary (assign, remove) and the recording's legal hold. Each change answers
// with the call as stored, which replaces what the page shows.

interface Props {
  it: Interaction;
  myUserId: number;
  onChanged: () => Promise<void>;
}

export function CallAnnotations({ it, myUserId, onChanged }: Props) {
  const can = useCan();
  const [text, setText] = useState('');
  const [tag, setTag] = useState('');
  const [vocabulary, setVocabulary] = useState<string[]>([]);
  const act = useAction();
  const busy = act.busy;

  useEffect(() => {
    if (!can('tags:assign')) return;
    api<{ items: Array<{ name: string }> }>('GET', '/tags')
      .then((r) => setVocabulary(r.items.map((t) => t.name)))
      .catch(() => setVocabulary([]));
  }, []);

  // Each change answers with the call as stored; the page shows that.
  const run = (what: string, fn: () => Promise<unknown>, done: string) =>
    act.run(
      what,
      async () => {
        await fn();
        await onChanged();
      },
      done,
    );

  const addNote = async (e: Event) => {
    e.preventDefault();
    if (!text.trim()) return act.refuse('Write the note first.');
    if (await run('Adding the note', () => api('POST', `/interactions/${it.id}/notes`, { text: text.trim() }), 'Note added.')) setText('');
  };
  const addTag = async (e: Event) => {
    e.preventDefault();
    if (!tag) return;
    if (await run('Tagging the call', () => api('POST', `/interactions/${it.id}/tags`, { tag }), `Tagged ${tag}.`)) setTag('');
  };
  const hold = (on: boolean) =>
    run(
      'Changing the legal hold',
      () => api(on ? 'PUT' : 'DELETE', `/interactions/${it.id}/legal-hold`),
      on ? 'The recording has been successfully placed in legal hold.' : 'The recording has been successfully removed from legal hold.',
    );
  const unused = vocabulary.filter((t) => !it.tags.includes(t));

  return (
    <section class="annotations" aria-labelledby={`annot-title-${it.id}`}>
      <h2 id={`annot-title-${it.id}`}>Notes and tags</h2>
      <Outcome message={act.message} error={act.error} />

      <h3>Tags</h3>
      {it.tags.length === 0 && <p class="muted">No tags on this call.</p>}
      <ul class="chips" aria-label="Tags on this call">
        {it.tags.map((t) => (
          <li class="chip">
            {t}
            {can('tags:assign') && (
              <button type="button" disabled={busy} aria-label={`Remove tag ${t}`} onClick={() => run('Removing the tag', () => api('DELETE', `/interactions/${it.id}/tags/${encodeURIComponent(t)}`), `Removed tag ${t}.`)}>
                ×
              </button>
            )}
          </li>
        ))}
      </ul>
      {can('tags:assign') &&
        (vocabulary.length === 0 ? (
          <p class="muted">There are no tags to assign yet. {can('tags:write') ? 'Add some under Administration → Tags.' : 'An administrator adds them.'}</p>
        ) : (
          <form class="inline-form" onSubmit={addTag}>
            <div class="field">
              <label for={`add-tag-${it.id}`}>Add tag</label>
              <select id={`add-tag-${it.id}`} value={tag} onChange={(e) => setTag((e.currentTarget as HTMLSelectElement).value)}>
                <option value="" selected={tag === ''}>
                  {unused.length ? 'Choose a tag…' : 'All tags are on this call'}
                </option>
                {unused.map((t) => (
                  <option value={t} selected={tag === t}>
                    {t}
                  </option>
                ))}
              </select>
            </div>
            <button type="submit" disabled={busy || !tag}>
              Tag call
            </button>
          </form>
        ))}

      <h3>Notes ({it.notes.length})</h3>
      {it.notes.length === 0 && <p class="muted">No notes yet.{can('notes:add') ? ' Add the first one below.' : ''}</p>}
      <ul class="plain notes">
        {it.notes.map((n) => {
          const own = n.authorId !== null && n.authorId === myUserId;
          const deletable = can('notes:add') && (own || can('notes:delete-others'));
          return (
            <li data-note={n.id}>
              {n.text} <span class="muted">— {n.author ?? 'unknown'}, {formatDate(n.createdAt)}</span>
              {deletable && (
                <button type="button" class="link" disabled={busy} onClick={() => run('Deleting the note', () => api('DELETE', `/interactions/${it.id}/notes/${n.id}`), 'Note deleted.')}>
                  Delete note
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {can('notes:add') && (
        <form class="inline-form" onSubmit={addNote}>
          <div class="field wide">
            <label for={`note-text-${it.id}`}>New note</label>
            <textarea id={`note-text-${it.id}`} rows={2} maxLength={4000} value={text} onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)} />
          </div>
          <button type="submit" disabled={busy}>
            Insert Note
          </button>
        </form>
      )}

      {can('legalhold:write') && (
        <>
          <h3>Legal Hold</h3>
          <label class="toggle">
            <input type="checkbox" checked={it.legalHold} disabled={busy} onChange={(e) => hold((e.currentTarget as HTMLInputElement).checked)} />
            Keep this recording on legal hold (never purged or deleted)
          </label>
        </>
      )}
    </section>
  );
}
