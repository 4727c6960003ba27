import { useState } from 'preact/hooks';
import { Outcome, useAction, useResource, value } from './admin';
import { useCan } from './access';
import { api } from './api';
import { formatDate } from './format';
import { Pager, useCursorPages } from './pager';
import { TableHead } from './table-head';

// Audit Trail (seed 000 §1.18: Action / Item filters, CSV export, hash-chain verification),
// System Activity Log (§1.19) and alarms (active first, then history).

interface AuditEntry {
  id: number;
  at: string;
  username: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  kind: string;
  item: string;
  description: string;
}

interface AuditFilters {
  from: string;
  to: string;
  name: string;
  kind: string;
  item: string;
  q: string;
}
const NO_AUDIT: AuditFilters = { from: '', to: '', name: '', kind: '', item: '', q: '' };

function auditQuery(f: AuditFilters): URLSearchParams {
  const p = new URLSearchParams();
  if (f.from) p.set('from', new Date(f.from).toISOString());
  if (f.to) p.set('to', new Date(f.to).toISOString());
  for (const k of ['name', 'kind', 'item', 'q'] as const) if (f[k].trim()) p.set(k, f[k].trim());
  return p;
}

export function AuditScreen() {
  const can = useCan();
  const [draft, setDraft] = useState<AuditFilters>(NO_AUDIT);
  const [filters, setFilters] = useState<AuditFilters>(NO_AUDIT);
  const pages = useCursorPages(50, 'Audit pages', 'audit-rows');
  const types = useResource<{ kinds: string[]; items: string[] }>('/audit/types');
  const q = auditQuery(filters);
  q.set('limit', String(pages.rows));
  if (pages.cursor) q.set('cursor', pages.cursor);
  const page = useResource<{ items: AuditEntry[]; nextCursor: string | null }>(`/audit?${q}`);
  const act = useAction();
  const csv = auditQuery(filters);
  csv.set('format', 'csv');

  const [verifiedText, setVerified] = useState<string | null>(null);
  const verify = () =>
    act.run('Verifying the audit trail', async () => {
      setVerified(null);
      const r = await api<{ ok: boolean; rows: number; firstBroken: { id: number } | null }>('GET', '/audit/verify');
      if (!r.ok) throw new Error(`the hash chain is broken at row ${r.firstBroken?.id}; the rows from there on were changed outside the appliance`);
      setVerified(`The audit trail is intact: ${r.rows} rows verified.`);
    });
  const sel = (k: 'kind' | 'item', label: string, options: string[] | undefined) => (
    <div class="field">
      <label for={`a-${k}`}>{label}</label>
      <select id={`a-${k}`} value={draft[k]} onChange={(e) => setDraft({ ...draft, [k]: value(e) })}>
        <option value="">Any</option>
        {options?.map((o) => (
          <option value={o}>{o}</option>
        ))}
      </select>
    </div>
  );
  return (
    <>
      <form
        class="admin-form"
        role="search"
        aria-label="Search the audit trail"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(draft);
          pages.restart();
        }}
      >
        <div class="field">
          <label for="a-from">From</label>
          <input id="a-from" type="datetime-local" value={draft.from} onInput={(e) => setDraft({ ...draft, from: value(e) })} />
        </div>
        <div class="field">
          <label for="a-to">To</label>
          <input id="a-to" type="datetime-local" value={draft.to} onInput={(e) => setDraft({ ...draft, to: value(e) })} />
        </div>
        <div class="field">
          <label for="a-name">Name</label>
          <input id="a-name" value={draft.name} onInput={(e) => setDraft({ ...draft, name: value(e) })} />
        </div>
        {sel('kind', 'Action', types.data?.kinds)}
        {sel('item', 'Item', types.data?.items)}
        <div class="field">
          <label for="a-q">Description contains</label>
          <input id="a-q" value={draft.q} onInput={(e) => setDraft({ ...draft, q: value(e) })} />
        </div>
        <div class="actions">
          <button type="submit" class="primary">
            Search
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(NO_AUDIT);
              setFilters(NO_AUDIT);
              pages.restart();
            }}
          >
            Reset Search
          </button>
          {can('audit:export') && (
            <a class="button" href={`/api/v1/audit?${csv}`} download>
              Export to Excel
            </a>
          )}
          <button type="button" onClick={verify} disabled={act.busy}>
            {act.busy ? 'Verifying…' : 'Verify integrity'}
          </button>
        </div>
      </form>
      <Outcome message={verifiedText} error={act.error ?? page.error} />
      {page.data?.items.length === 0 && <p class="empty">No audit entries match. Widen the dates or choose Reset Search.</p>}
      {page.data && page.data.items.length > 0 && (
        <table class="grid compact" aria-label="Audit Trail">
          <TableHead columns={['Date', 'Name', 'Action', 'Item', 'Description', 'IP address']} />
          <tbody>
            {page.data.items.map((e) => (
              <tr data-action={e.action}>
                <td>{formatDate(e.at)}</td>
                <td>{e.username ?? 'System'}</td>
                <td>{e.kind}</td>
                <td>{e.item}</td>
                <td>{e.description}</td>
                <td>{e.ip ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager {...pages.pager(page.data?.nextCursor)} />
    </>
  );
}

interface Activity {
  id: string;
  at: string;
  logType: string;
  activityType: string;
  description: string;
  subject: string;
}

export function ActivityScreen() {
  const types = useResource<{ logTypes: string[]; activityTypes: Array<{ name: string; description: string }> }>('/activity/types');
  const pages = useCursorPages(10, 'Activity pages', 'act-rows');
  const [activityType, setActivityType] = useState('');
  const p = new URLSearchParams({ limit: String(pages.rows) });
  if (activityType) p.set('activityType', activityType);
  if (pages.cursor) p.set('cursor', pages.cursor);
  const page = useResource<{ items: Activity[]; nextCursor: string | null; total: number }>(`/activity?${p}`);
  const activityTypes = types.data?.activityTypes.map((t) => t.name) ?? [];
  return (
    <>
      <div class="inline-form">
        <div class="field">
          <label for="act-type">Activity Type</label>
          <select
            id="act-type"
            value={activityType}
            onChange={(e) => {
              setActivityType(value(e));
              pages.restart();
            }}
          >
            <option value="">All</option>
            {activityTypes.map((t) => (
              <option value={t}>{t}</option>
            ))}
          </select>
        </div>
        {page.data && <span class="muted">{page.data.total} entries</span>}
      </div>
      <Outcome message={null} error={page.error} />
      {page.data?.items.length === 0 && <p class="empty">Nothing logged yet. The appliance records storage, SIPREC, retention and configuration events here.</p>}
      {page.data && page.data.items.length > 0 && (
        <table class="grid compact" aria-label="System Activity Log">
          <TableHead columns={['Date', 'Log Type', 'Activity Type', 'Log Description']} />
          <tbody>
            {page.data.items.map((a) => (
              <tr>
                <td>{formatDate(a.at)}</td>
                <td>{a.logType}</td>
                <td>{a.activityType}</td>
                <td>{a.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager {...pages.pager(page.data?.nextCursor)} />
    </>
  );
}

interface Alarm {
  id: number;
  name: string;
  source: string;
  severity: string;
  state: 'active' | 'cleared';
  text: string;
  raisedAt: string;
  clearedAt: string | null;
}

export function AlarmsScreen() {
  const alarms = useResource<{ items: Alarm[] }>('/alarms');
  const active = alarms.data?.items.filter((a) => a.state === 'active') ?? [];
  const history = alarms.data?.items.filter((a) => a.state === 'cleared') ?? [];
  const table = (rows: Alarm[], label: string) => (
    <table class="grid compact" aria-label={label}>
      <TableHead columns={['Severity', 'Alarm', 'Source', 'Text', 'Raised', 'Cleared']} />
      <tbody>
        {rows.map((a) => (
          <tr>
            <td>{a.severity}</td>
            <td>{a.name}</td>
            <td>{a.source}</td>
            <td>{a.text}</td>
            <td>{formatDate(a.raisedAt)}</td>
            <td>{a.clearedAt ? formatDate(a.clearedAt) : ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
  return (
    <>
      <Outcome message={null} error={alarms.error} />
      <p>
        <button type="button" onClick={alarms.reload}>
          Refresh
        </button>
      </p>
      <h2>Active alarms</h2>
      {alarms.data && (active.length ? table(active, 'Active alarms') : <p class="empty">No active alarms. The appliance is healthy.</p>)}
      <h2>History</h2>
      {alarms.data && (history.length ? table(history, 'Alarm history') : <p class="empty">No alarm has been raised and cleared yet.</p>)}
    </>
  );
}
