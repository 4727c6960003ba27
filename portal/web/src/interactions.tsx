import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError, type Interaction, type Page, type SessionInfo, type Status } from './api';
import { COLUMNS, loadVisibleColumns, saveVisibleColumns, userNames } from './columns';
import { formatDate } from './format';
import { linkClick } from './router';
import { STATUS_INFO, StatusIcon } from './status';

/** The filters GET /api/v1/interactions supports today. */
interface Filters {
  q: string;
  party: string;
  from: string;
  to: string;
  status: '' | Status;
  note: string;
  tag: string;
  correlationId: string;
  /** A user id (administrators: seed 000 "Users and Groups"); '' = everyone visible. */
  user: string;
  unassigned: boolean;
}

const NO_FILTERS: Filters = { q: '', party: '', from: '', to: '', status: '', note: '', tag: '', correlationId: '', user: '', unassigned: false };

// Kept while the app runs, so coming back from the player shows the same search and page.
let remembered: { filters: Filters; limit: number; cursors: (string | null)[] } = { filters: NO_FILTERS, limit: 25, cursors: [null] };

function queryString(f: Filters, limit: number, cursor: string | null): string {
  const p = new URLSearchParams();
  for (const key of ['q', 'party', 'note', 'tag', 'correlationId', 'status', 'user'] as const) {
    const v = f[key].trim();
    if (v) p.set(key, v);
  }
  // datetime-local values are local wall time; the API wants an instant.
  if (f.from) p.set('from', new Date(f.from).toISOString());
  if (f.to) p.set('to', new Date(f.to).toISOString());
  if (f.unassigned) p.set('unassigned', 'true');
  p.set('limit', String(limit));
  if (cursor) p.set('cursor', cursor);
  return p.toString();
}

type Sort = { column: string; dir: 'ascending' | 'descending' } | null;

export function InteractionsPage({ session }: { session: SessionInfo }) {
  const [draft, setDraft] = useState<Filters>(remembered.filters);
  const [filters, setFilters] = useState<Filters>(remembered.filters);
  const [limit, setLimit] = useState(remembered.limit);
  const [cursors, setCursors] = useState<(string | null)[]>(remembered.cursors);
  const [page, setPage] = useState<Page<Interaction> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [sort, setSort] = useState<Sort>(null);
  const [visible, setVisible] = useState(() => loadVisibleColumns(session.user.username));
  const [chooserOpen, setChooserOpen] = useState(false);
  const cursor = cursors[cursors.length - 1] ?? null;
  const request = useRef(0);
  const isAdmin = session.user.role === 'admin' || session.user.role === 'sysadmin';
  const [users, setUsers] = useState<Array<{ id: number; username: string }>>([]);

  useEffect(() => {
    if (!isAdmin) return;
    api<{ items: Array<{ id: number; username: string }> }>('GET', '/users')
      .then((r) => setUsers(r.items))
      .catch(() => setUsers([]));
  }, [isAdmin]);

  useEffect(() => {
    remembered = { filters, limit, cursors };
    const mine = ++request.current;
    setLoading(true);
    api<Page<Interaction>>('GET', `/interactions?${queryString(filters, limit, cursor)}`)
      .then((p) => {
        if (mine !== request.current) return;
        setPage(p);
        setError(null);
      })
      .catch((err: unknown) => {
        if (mine !== request.current || (err instanceof ApiError && err.status === 401)) return;
        setPage(null);
        setError(err instanceof ApiError && err.status === 400 ? `The search was not accepted: ${err.message}. Correct the filter and search again.` : String((err as Error).message));
      })
      .finally(() => mine === request.current && setLoading(false));
  }, [filters, limit, cursor]);

  const rows = useMemo(() => {
    if (!page) return [];
    const col = sort && COLUMNS.find((c) => c.id === sort.column);
    if (!col?.sortKey) return page.items;
    const key = col.sortKey;
    const sign = sort!.dir === 'ascending' ? 1 : -1;
    return [...page.items].sort((a, b) => {
      const x = key(a);
      const y = key(b);
      return (x < y ? -1 : x > y ? 1 : 0) * sign;
    });
  }, [page, sort]);

  const shown = COLUMNS.filter((c) => visible.has(c.id));
  const filtered = JSON.stringify(filters) !== JSON.stringify(NO_FILTERS);

  const search = (e: Event) => {
    e.preventDefault();
    setFilters({ ...draft });
    setCursors([null]);
  };
  const reset = () => {
    setDraft(NO_FILTERS);
    setFilters(NO_FILTERS);
    setCursors([null]);
  };
  const toggleColumn = (id: string) => {
    const next = new Set(visible);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setVisible(next);
    saveVisibleColumns(session.user.username, next);
  };
  const sortBy = (id: string) =>
    setSort((s) => (s?.column === id ? (s.dir === 'ascending' ? { column: id, dir: 'descending' } : null) : { column: id, dir: 'ascending' }));
  const field = (key: keyof Filters) => ({
    value: draft[key] as string,
    onInput: (e: Event) => setDraft({ ...draft, [key]: (e.currentTarget as HTMLInputElement).value }),
  });

  return (
    <section class="page" aria-labelledby="interactions-title">
      <div class="page-head">
        <h1 id="interactions-title">Interactions</h1>
        <p class="counter" aria-live="polite">
          {loading ? 'Loading…' : page ? `Showing ${page.items.length} recording${page.items.length === 1 ? '' : 's'}${cursors.length > 1 ? ` (page ${cursors.length})` : ''}` : ''}
        </p>
      </div>

      <form class="filters" onSubmit={search} role="search" aria-label="Search interactions">
        <div class="field wide">
          <label for="f-q">Search</label>
          <input id="f-q" type="search" placeholder="Numbers, names, addresses or note words" {...field('q')} />
        </div>
        <div class="field">
          <label for="f-party">Called or Calling Party</label>
          <input id="f-party" placeholder="732, 732* or *Bill" {...field('party')} />
        </div>
        <div class="field">
          <label for="f-from">From</label>
          <input id="f-from" type="datetime-local" {...field('from')} />
        </div>
        <div class="field">
          <label for="f-to">To</label>
          <input id="f-to" type="datetime-local" {...field('to')} />
        </div>
        <div class="field">
          <label for="f-status">Call Status</label>
          <select id="f-status" {...field('status')} onChange={(e) => setDraft({ ...draft, status: (e.currentTarget as HTMLSelectElement).value as Filters['status'] })}>
            <option value="">Any</option>
            {(Object.keys(STATUS_INFO) as Status[]).map((s) => (
              <option value={s}>{STATUS_INFO[s].label}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-note">Notes</label>
          <input id="f-note" placeholder="Whole words" {...field('note')} />
        </div>
        <div class="field">
          <label for="f-tag">Tag</label>
          <input id="f-tag" {...field('tag')} />
        </div>
        <div class="field">
          <label for="f-corr">Original Call ID</label>
          <input id="f-corr" placeholder="Call-ID, session id, UCID…" {...field('correlationId')} />
        </div>
        {isAdmin && (
          <div class="field">
            <label for="f-user">User name</label>
            <select id="f-user" value={draft.user} onChange={(e) => setDraft({ ...draft, user: (e.currentTarget as HTMLSelectElement).value })}>
              <option value="">All users</option>
              {users.map((u) => (
                <option value={String(u.id)}>{u.username}</option>
              ))}
            </select>
          </div>
        )}
        {isAdmin && (
          <div class="field check">
            <input
              id="f-unassigned"
              type="checkbox"
              checked={draft.unassigned}
              onChange={(e) => setDraft({ ...draft, unassigned: (e.currentTarget as HTMLInputElement).checked })}
            />
            <label for="f-unassigned">Unassigned calls only</label>
          </div>
        )}
        <div class="actions">
          <button type="submit" class="primary">
            Search
          </button>
          <button type="button" onClick={reset}>
            Reset Search
          </button>
          <button type="button" aria-expanded={chooserOpen} aria-controls="column-chooser" onClick={() => setChooserOpen(!chooserOpen)}>
            Select Columns
          </button>
        </div>
      </form>

      {chooserOpen && (
        <fieldset id="column-chooser" class="chooser">
          <legend>Columns to show</legend>
          {COLUMNS.map((c) => (
            <label class="toggle">
              <input type="checkbox" checked={visible.has(c.id)} onChange={() => toggleColumn(c.id)} />
              {c.label}
            </label>
          ))}
        </fieldset>
      )}

      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}

      {page && page.items.length === 0 && !error && (
        <div class="empty">
          {filtered || cursors.length > 1 ? (
            <p>No recordings match this search. Widen the date range or clear a filter, or choose Reset Search.</p>
          ) : (
            <p>No recordings yet. Calls appear here as soon as the SBC sends them to this recorder over SIPREC.</p>
          )}
        </div>
      )}

      {page && page.items.length > 0 && (
        <div class="table-wrap">
          <table class="grid">
            <caption class="sr-only">Recorded interactions{sort ? `, sorted by ${COLUMNS.find((c) => c.id === sort.column)?.label} ${sort.dir}` : ', newest first'}</caption>
            <thead>
              <tr>
                <th scope="col" class="icon-col">
                  <span class="sr-only">Status</span>
                </th>
                {shown.map((c) => (
                  <th scope="col" aria-sort={sort?.column === c.id ? sort.dir : undefined}>
                    <button type="button" class="sort" onClick={() => sortBy(c.id)}>
                      {c.label}
                      <span aria-hidden="true" class="arrow">
                        {sort?.column === c.id ? (sort.dir === 'ascending' ? '▲' : '▼') : ''}
                      </span>
                    </button>
                  </th>
                ))}
                <th scope="col">
                  <span class="sr-only">Player</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((it) => (
                <tr class={it.status === 'recording' ? 'active' : undefined} data-id={it.id}>
                  <td class="icon-col">
                    <StatusIcon status={it.status} />
                  </td>
                  {shown.map((c) => (
                    <td>{c.render(it)}</td>
                  ))}
                  <td>
                    <a class="open" href={`/interactions/${it.id}`} onClick={linkClick} aria-label={`Open player: ${userNames(it)}, ${formatDate(it.startTime)}`}>
                      Open
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <nav class="pager" aria-label="Pages">
        <label for="page-size">Rows per page</label>
        <select
          id="page-size"
          value={String(limit)}
          onChange={(e) => {
            setLimit(Number((e.currentTarget as HTMLSelectElement).value));
            setCursors([null]);
          }}
        >
          {[10, 25, 50, 100].map((n) => (
            <option value={String(n)}>{n}</option>
          ))}
        </select>
        <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous page
        </button>
        <button type="button" disabled={!page?.nextCursor} onClick={() => page?.nextCursor && setCursors([...cursors, page.nextCursor])}>
          Next page
        </button>
      </nav>
    </section>
  );
}
