import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, downloadPost, type Interaction } from './api';
import type { ApiFilter } from './search-filters';

// Seed 000 §1.6 "Action" menu on the ticked rows: Download Audio, Export to Excel, Delete Calls,
// Tag. Long runs (one request per call) show their progress; failures are listed per call.

interface Props {
  selected: Interaction[];
  filter: ApiFilter;
  can: (permission: string) => boolean;
  onDone: () => void;
}

type Dialog = null | 'tag' | 'delete';

export function ActionBar({ selected, filter, can, onDone }: Props) {
  const [dialog, setDialog] = useState<Dialog>(null);
  const [progress, setProgress] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const n = selected.length;

  const exportCsv = async () => {
    setError(null);
    setNotice(null);
    setProgress(n ? `Exporting ${n} selected call${n === 1 ? '' : 's'}…` : 'Exporting every call that matches the search…');
    try {
      const body = n ? { ids: selected.map((i) => i.id) } : { filter: withoutSort(filter) };
      await downloadPost('/interactions/export', body, 'interactions.csv');
      setNotice('A .csv file is downloaded.');
    } catch (err) {
      setError(`Export to Excel failed: ${(err as Error).message}`);
    } finally {
      setProgress(null);
    }
  };

  const downloadAudio = async () => {
    setError(null);
    setNotice(null);
    const playable = selected.filter((i) => i.status === 'available' && i.files.length > 0);
    const skipped = n - playable.length;
    // One attachment per call; the browser asks once for permission to save several files.
    for (const [k, it] of playable.entries()) {
      setProgress(`Downloading ${k + 1} of ${playable.length}…`);
      const a = document.createElement('a');
      a.href = `/api/v1/interactions/${it.id}/media/download?format=${it.files.some((f) => f.format === 'mp3') ? 'mp3' : 'wav'}`;
      a.download = '';
      document.body.appendChild(a);
      a.click();
      a.remove();
      await new Promise((r) => setTimeout(r, 300));
    }
    setProgress(null);
    if (skipped) setError(`${skipped} selected call${skipped === 1 ? ' has' : 's have'} no stored audio (still recording, failed or deleted) and ${skipped === 1 ? 'was' : 'were'} skipped.`);
    else setNotice(`Started ${playable.length} download${playable.length === 1 ? '' : 's'}.`);
  };

  return (
    <div class="action-bar" role="region" aria-label="Actions on the selected calls">
      <span class="muted">{n ? `${n} selected` : 'Tick calls to act on them; Export to Excel without a selection exports every match.'}</span>
      {can('media:download') && (
        <button type="button" disabled={n === 0 || progress !== null} onClick={downloadAudio}>
          Download Audio
        </button>
      )}
      <button type="button" disabled={progress !== null} onClick={exportCsv}>
        Export to Excel
      </button>
      {can('tags:assign') && (
        <button type="button" disabled={n === 0 || progress !== null} onClick={() => setDialog('tag')}>
          Tag
        </button>
      )}
      {can('interactions:delete') && (
        <button type="button" class="danger" disabled={n === 0 || progress !== null} onClick={() => setDialog('delete')}>
          Delete Calls
        </button>
      )}
      {progress && (
        <span class="progress" role="status">
          {progress}
        </span>
      )}
      {notice && !progress && (
        <span class="ok" role="status">
          {notice}
        </span>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {dialog === 'tag' && (
        <TagDialog
          selected={selected}
          onClose={(msg) => {
            setDialog(null);
            if (msg) {
              setNotice(msg);
              onDone();
            }
          }}
        />
      )}
      {dialog === 'delete' && (
        <DeleteDialog
          selected={selected}
          onClose={(msg, failed) => {
            setDialog(null);
            if (msg) setNotice(msg);
            if (failed) setError(failed);
            if (msg || failed) onDone();
          }}
        />
      )}
    </div>
  );
}

const withoutSort = (f: ApiFilter): ApiFilter => Object.fromEntries(Object.entries(f).filter(([k]) => k !== 'sort' && k !== 'order'));

function TagDialog({ selected, onClose }: { selected: Interaction[]; onClose: (message?: string) => void }) {
  const [vocabulary, setVocabulary] = useState<Array<{ name: string; description: string }> | null>(null);
  const [chosen, setChosen] = useState<Set<string>>(() => (selected.length === 1 ? new Set(selected[0]!.tags) : new Set()));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api<{ items: Array<{ name: string; description: string }> }>('GET', '/tags')
      .then((r) => setVocabulary(r.items))
      .catch((e: unknown) => setError((e as Error).message));
  }, []);
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await api('PUT', '/interactions/tags', { ids: selected.map((i) => i.id), tags: [...chosen] });
      onClose(`Tags set on ${selected.length} call${selected.length === 1 ? '' : 's'}.`);
    } catch (err) {
      setError(`The tags were not set: ${(err as Error).message}`);
      setBusy(false);
    }
  };
  return (
    <Modal title="Set Tag(s)" onCancel={() => onClose()}>
      <form onSubmit={save}>
        <p class="notice">Setting tag(s) for multiple calls automatically overwrites any previously associated tags.</p>
        {vocabulary === null && !error && <p>Loading tags…</p>}
        {vocabulary?.length === 0 && <p class="empty">There are no tags yet. An administrator adds them under Administration → Tags.</p>}
        <fieldset class="checks">
          <legend class="sr-only">Tags</legend>
          {vocabulary?.map((t) => (
            <label class="toggle" title={t.description}>
              <input
                type="checkbox"
                checked={chosen.has(t.name)}
                onChange={() => {
                  const next = new Set(chosen);
                  if (next.has(t.name)) next.delete(t.name);
                  else next.add(t.name);
                  setChosen(next);
                }}
              />
              {t.name}
            </label>
          ))}
        </fieldset>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          <button type="button" onClick={() => onClose()}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy || vocabulary === null}>
            Save
          </button>
        </div>
      </form>
    </Modal>
  );
}

function DeleteDialog({ selected, onClose }: { selected: Interaction[]; onClose: (message?: string, failed?: string) => void }) {
  const [mode, setMode] = useState<'metadataAndMedia' | 'media'>('metadataAndMedia');
  const [authorizedBy, setAuthorizedBy] = useState('');
  const [note, setNote] = useState('');
  const [progress, setProgress] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!authorizedBy.trim() || !note.trim()) {
      setError('Authorized By and Note are both required.');
      return;
    }
    const failures: string[] = [];
    let done = 0;
    for (const it of selected) {
      setProgress(`Deleting ${done + failures.length + 1} of ${selected.length}…`);
      try {
        await api('DELETE', `/interactions/${it.id}`, { mode, authorizedBy: authorizedBy.trim(), note: note.trim() });
        done++;
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return;
        failures.push(`${it.callingParty ?? it.id}: ${(err as Error).message}`);
      }
    }
    onClose(done ? `${done} call${done === 1 ? '' : 's'} deleted. Open the Audit Trail to review the deletion.` : undefined, failures.length ? `Not deleted: ${failures.join('; ')}` : undefined);
  };
  return (
    <Modal title="Delete Calls" onCancel={() => progress === null && onClose()}>
      <form onSubmit={submit}>
        <p>Are you sure you want to permanently delete this calls? This action cannot be reversed.</p>
        <p class="muted">Total of {selected.length} calls records are selected for deletion.</p>
        <fieldset class="checks">
          <legend class="sr-only">What to delete</legend>
          <label class="toggle">
            <input type="radio" name="mode" checked={mode === 'metadataAndMedia'} onChange={() => setMode('metadataAndMedia')} />
            Delete calls's metadata and media
          </label>
          <label class="toggle">
            <input type="radio" name="mode" checked={mode === 'media'} onChange={() => setMode('media')} />
            Delete calls's media
          </label>
        </fieldset>
        <div class="field">
          <label for="del-by">Authorized By</label>
          <input id="del-by" required value={authorizedBy} onInput={(e) => setAuthorizedBy((e.currentTarget as HTMLInputElement).value)} placeholder="The operator approving the deletion" />
        </div>
        <div class="field">
          <label for="del-note">Note</label>
          <input id="del-note" required value={note} onInput={(e) => setNote((e.currentTarget as HTMLInputElement).value)} placeholder="Why the calls are deleted" />
        </div>
        {progress && <p role="status">{progress}</p>}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          <button type="button" disabled={progress !== null} onClick={() => onClose()}>
            Cancel
          </button>
          <button type="submit" class="primary danger" disabled={progress !== null}>
            Delete
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** A modal dialog: the native <dialog> keeps focus inside and closes on Escape. */
export function Modal({ title, onCancel, children }: { title: string; onCancel: () => void; children: preact.ComponentChildren }) {
  const [el, setEl] = useState<HTMLDialogElement | null>(null);
  useEffect(() => {
    if (el && !el.open) el.showModal();
  }, [el]);
  return (
    <dialog
      ref={setEl}
      class="modal"
      aria-label={title}
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
    >
      <h2>{title}</h2>
      {children}
    </dialog>
  );
}
