import { useState } from 'preact/hooks';
import { Outcome, checked, useAction, useResource, value } from './admin';
import { api } from './api';
import { FormActions } from './form-parts';
import { formatDate } from './format';
import { TableHead } from './table-head';

// Storage targets (seed 000 "Storage": NAME | STATUS | CONSUMED): where finished recordings go.
// A target is added, tested ("Test connection"), then activated; the active one cannot be removed.
// The secret key is never sent back by the API: "********" in the form means "keep the stored one".

const MASK = '********';

interface Target {
  name: string;
  type: 'local' | 's3';
  active: boolean;
  state: string;
  consumedGB: number | null;
  files: number | null;
  lastTest: { at: string; ok: boolean; description: string } | null;
  settings: Record<string, unknown>;
}

interface Draft {
  type: 'local' | 's3';
  name: string;
  path: string;
  endPoint: string;
  port: string;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  bucket: string;
}

const NEW: Draft = { type: 's3', name: '', path: '', endPoint: '', port: '9000', useSSL: true, accessKey: '', secretKey: '', bucket: 'recordings' };

function draftOf(t: Target): Draft {
  const s = t.settings;
  const str = (k: string, d = '') => (s[k] === undefined || s[k] === null ? d : String(s[k]));
  return { ...NEW, type: t.type, name: t.name, path: str('path'), endPoint: str('endPoint'), port: str('port', '9000'), useSSL: s.useSSL !== false, accessKey: str('accessKey'), secretKey: str('secretKey'), bucket: str('bucket') };
}

/** The API's body: only the keys of the chosen type (it refuses any other). */
function bodyOf(d: Draft): Record<string, unknown> {
  if (d.type === 'local') return { type: 'local', name: d.name.trim(), path: d.path.trim() === '' ? null : d.path.trim() };
  return { type: 's3', name: d.name.trim(), endPoint: d.endPoint.trim(), port: Number(d.port), useSSL: d.useSSL, accessKey: d.accessKey, secretKey: d.secretKey, bucket: d.bucket.trim() };
}

export function StorageTargets() {
  const targets = useResource<{ items: Target[] }>('/storage/targets');
  const [testing, setTesting] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | 'new' | null>(null);
  const [draft, setDraft] = useState<Draft>(NEW);
  const act = useAction();
  const set = (patch: Partial<Draft>) => setDraft({ ...draft, ...patch });

  const test = async (t: Target) => {
    setTesting(t.name);
    await act.run(`Test connection to ${t.name}`, async () => {
      const r = await api<{ ok: boolean; ms: number; message: string }>('POST', `/storage/targets/${encodeURIComponent(t.name)}/test`);
      if (!r.ok) throw new Error(r.message);
    }, `Connected to ${t.name}: a test object was written, read back and deleted.`);
    setTesting(null);
    targets.reload();
  };
  // Each change answers what it did and whether the recorder must restart: that is the message.
  const change = async (label: string, call: () => Promise<{ message: string }>) => {
    const ok = await act.run(label, call, (answer) => answer.message);
    if (ok) targets.reload();
    return ok;
  };
  const save = async (e: Event) => {
    e.preventDefault();
    const body = bodyOf(draft);
    const ok =
      editing === 'new'
        ? await change('Adding the storage target', () => api('POST', '/storage/targets', body))
        : await change('Saving the storage target', () => api('PUT', `/storage/targets/${encodeURIComponent(String(editing))}`, body));
    if (ok) setEditing(null);
  };
  const activate = (t: Target) => change(`Activating ${t.name}`, () => api('POST', `/storage/targets/${encodeURIComponent(t.name)}/activate`));
  const remove = (t: Target) => change(`Removing ${t.name}`, () => api('DELETE', `/storage/targets/${encodeURIComponent(t.name)}`));

  return (
    <section aria-labelledby="st-title">
      <h2 id="st-title">Storage targets</h2>
      {editing === null && (
        <p>
          <button
            type="button"
            onClick={() => {
              setDraft(NEW);
              setEditing('new');
            }}
          >
            Add storage target
          </button>
        </p>
      )}
      {editing !== null && (
        <form class="admin-form" onSubmit={save} aria-label={editing === 'new' ? 'New storage target' : `Edit storage target ${editing}`}>
          <div class="field">
            <label for="st-type">Type</label>
            <select id="st-type" value={draft.type} disabled={editing !== 'new'} onChange={(e) => set({ type: value(e) as Draft['type'] })}>
              <option value="s3">S3 or MinIO</option>
              <option value="local">Local disk</option>
            </select>
          </div>
          <div class="field">
            <label for="st-name">Name</label>
            <input id="st-name" required disabled={editing !== 'new'} value={draft.name} onInput={(e) => set({ name: value(e) })} />
          </div>
          {draft.type === 'local' ? (
            <div class="field wide">
              <label for="st-path">Directory</label>
              <input id="st-path" placeholder="Empty: the data directory's media folder" value={draft.path} onInput={(e) => set({ path: value(e) })} />
            </div>
          ) : (
            <>
              <div class="field">
                <label for="st-endpoint">Endpoint host</label>
                <input id="st-endpoint" required placeholder="s3.example.com" value={draft.endPoint} onInput={(e) => set({ endPoint: value(e) })} />
              </div>
              <div class="field narrow">
                <label for="st-port">Port</label>
                <input id="st-port" required inputMode="numeric" value={draft.port} onInput={(e) => set({ port: value(e) })} />
              </div>
              <div class="field check">
                <input id="st-ssl" type="checkbox" checked={draft.useSSL} onChange={(e) => set({ useSSL: checked(e) })} />
                <label for="st-ssl">Use TLS (HTTPS)</label>
              </div>
              <div class="field">
                <label for="st-bucket">Bucket</label>
                <input id="st-bucket" required value={draft.bucket} onInput={(e) => set({ bucket: value(e) })} />
              </div>
              <div class="field">
                <label for="st-access">Access key</label>
                <input id="st-access" required autoComplete="off" value={draft.accessKey} onInput={(e) => set({ accessKey: value(e) })} />
              </div>
              <div class="field">
                <label for="st-secret">Secret key</label>
                <input id="st-secret" type="password" required autoComplete="new-password" value={draft.secretKey} onInput={(e) => set({ secretKey: value(e) })} />
                {editing !== 'new' && draft.secretKey === MASK && <span class="muted">Unchanged unless you type a new one.</span>}
              </div>
            </>
          )}
          <FormActions submitLabel={editing === 'new' ? 'Add target' : 'Save'} busy={act.busy} onCancel={() => setEditing(null)} />
        </form>
      )}
      <Outcome message={act.message} error={act.error ?? targets.error} />
      {testing && (
        <p role="status" class="progress">
          Testing the connection to {testing}: writing, reading back and deleting a test object…
        </p>
      )}
      {targets.data && (
        <table class="grid compact" aria-label="Storage targets">
          <TableHead columns={['Name', 'Type', 'Active', 'State', 'Consumed', 'Files', 'Last test']} actions />
          <tbody>
            {targets.data.items.map((t) => (
              <tr data-target={t.name}>
                <td>{t.name}</td>
                <td>{t.type === 's3' ? `S3 ${String(t.settings.endPoint ?? '')}/${String(t.settings.bucket ?? '')}` : 'Local disk'}</td>
                <td>{t.active ? 'Yes' : 'No'}</td>
                <td>{t.state}</td>
                <td>{t.consumedGB === null ? '' : `${t.consumedGB} GB`}</td>
                <td>{t.files ?? ''}</td>
                <td title={t.lastTest?.description}>{t.lastTest ? `${t.lastTest.ok ? 'OK' : 'Failed'} · ${formatDate(t.lastTest.at)}` : 'Never'}</td>
                <td class="row-actions">
                  <button type="button" disabled={testing !== null} onClick={() => test(t)} aria-label={`Test connection: ${t.name}`}>
                    Test connection
                  </button>
                  <button
                    type="button"
                    aria-label={`Edit ${t.name}`}
                    onClick={() => {
                      setDraft(draftOf(t));
                      setEditing(t.name);
                    }}
                  >
                    Edit
                  </button>
                  {!t.active && (
                    <>
                      <button type="button" disabled={act.busy} aria-label={`Activate ${t.name}`} onClick={() => activate(t)}>
                        Activate
                      </button>
                      <button type="button" class="danger" disabled={act.busy} aria-label={`Remove ${t.name}`} onClick={() => remove(t)}>
                        Remove
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
