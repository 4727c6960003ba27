import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useCan } from './access';
import { api, ApiError, type Interaction, type Page, type SessionInfo, type Status } from './api';
import { COLUMNS, fetchVisibleColumns, loadVisibleColumns, saveVisibleColumns, userNames } from './columns';
import { formatDate } from './format';
import { Pager } from './pager';
import { ActionBar } from './interaction-actions';
import { linkClick } from './router';
import { SavedSearches } from './saved-searches';
import { CALL_TYPES, DIRECTIONS, NO_FILTERS, RELEASE_CAUSES, fromApiFilter, queryString, toApiFilter, type ApiFilter, type Filters, type Sort } from './search-filters';
import { STATUS_INFO, StatusIcon } from './status';

const LIVE_REFRESH_MS = 5000;
const NEW_CALLS_REFRESH_MS = 10_000;

// Kept while the app runs, so coming back from the player shows the same search, sort and page.
let remembered: { filters: Filters; sort: Sort; limit: number; cursors: (string | null)[] } = { filters: NO_FILTERS, sort: null, limit: 25, cursors: [null] };

interface Group {
  id: number;
  name: string;
  members: number[];
}

export function InteractionsPage({ session }: { session: SessionInfo }) {
  const can = useCan();
  const [draft, setDraft] = useState<Filters>(remembered.filters);
  const [filters, setFilters] = useState<Filters>(remembered.filters);
  const [limit, setLimit] = useState(remembered.limit);
  const [cursors, setCursors] = useState<(string | null)[]>(remembered.cursors);
  const [page, setPage] = useState<Page<Interaction> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [sort, setSort] = useState<Sort>(remembered.sort);
  const [visible, setVisible] = useState(() => loadVisibleColumns(session.user.username));
  useEffect(() => {
    void fetchVisibleColumns(session.user.username).then((cols) => cols && setVisible(cols));
  }, [session.user.username]);
  const [chooserOpen, setChooserOpen] = useState(false);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [reload, setReload] = useState(0);
  // A refresh of its own (live rows) reloads without "Loading…" flashing in the counter.
  const quiet = useRef(false);
  const cursor = cursors[cursors.length - 1] ?? null;
  const request = useRef(0);
  const canListUsers = can('users:read');
  const [users, setUsers] = useState<Array<{ id: number; username: string }>>([]);
  const [groups, setGroups] = useState<Group[]>([]);

  useEffect(() => {
    if (!canListUsers) return;
    api<{ items: Array<{ id: number; username: string }> }>('GET', '/users')
      .then((r) => setUsers(r.items))
      .catch(() => setUsers([]));
    api<{ items: Group[] }>('GET', '/groups')
      .then((r) => setGroups(r.items))
      .catch(() => setGroups([]));
  }, [canListUsers]);

  const apiFilter: ApiFilter = useMemo(
    () => toApiFilter(filters, sort),
    [filters, sort],
  );

  useEffect(() => {
    remembered = { filters, sort, limit, cursors };
    const mine = ++request.current;
    const background = quiet.current;
    quiet.current = false;
    if (!background) setLoading(true);
    api<Page<Interaction>>('GET', `/interactions?${queryString(apiFilter, limit, cursor)}`, undefined, { background })
      .then((p) => {
        if (mine !== request.current) return;
        setPage(p);
        setError(null);
        // Only rows still on the page stay ticked.
        setSelected((s) => new Set(p.items.filter((i) => s.has(i.id)).map((i) => i.id)));
      })
      .catch((err: unknown) => {
        if (mine !== request.current || (err instanceof ApiError && err.status === 401)) return;
        setPage(null);
        setError(err instanceof ApiError && err.status === 400 ? `The search was not accepted: ${err.message}. Correct the filter and search again.` : String((err as Error).message));
      })
      .finally(() => mine === request.current && setLoading(false));
  }, [apiFilter, limit, cursor, reload]);

  const rows = page?.items ?? [];
  // Live rows: while calls on the page are being recorded they are refreshed every few seconds
  // (status, duration, files); the first page also shows new calls as they start.
  const live = rows.some((r) => r.status === 'recording' || r.status === 'pending');
  useEffect(() => {
    const every = live ? LIVE_REFRESH_MS : cursors.length <= 1 ? NEW_CALLS_REFRESH_MS : 0;
    if (!every) return;
    const timer = setInterval(() => {
      if (document.visibilityState !== 'visible') return;
      quiet.current = true;
      setReload((n) => n + 1);
    }, every);
    return () => clearInterval(timer);
  }, [live, cursors.length]);
  const selectedRows = rows.filter((i) => selected.has(i.id));
  const allTicked = rows.length > 0 && selectedRows.length === rows.length;
  const shown = COLUMNS.filter((c) => visible.has(c.id));
  const filtered = JSON.stringify(filters) !== JSON.stringify(NO_FILTERS);

  const search = (e: Event) => {
    e.preventDefault();
    const min = draft.minDuration.trim();
    const max = draft.maxDuration.trim();
    if ((min && !/^\d+$/.test(min)) || (max && !/^\d+$/.test(max))) {
      setError('Duration must be whole seconds (for example 30). Correct the duration and search again.');
      return;
    }
    const group = draft.group ? groups.find((g) => String(g.id) === draft.group) : undefined;
    if (group && group.members.length === 0) {
      setError(`Group ${group.name} has no members, so it has no calls. Add members under Administration → Groups, or choose another group.`);
      return;
    }
    setFilters({ ...draft });
    setCursors([null]);
  };
  const reset = () => {
    setDraft(NO_FILTERS);
    setFilters(NO_FILTERS);
    setSort(null);
    setCursors([null]);
  };
  const pickSaved = (query: ApiFilter) => {
    const { filters: f, sort: s } = fromApiFilter(query);
    setDraft(f);
    setFilters(f);
    setSort(s);
    setCursors([null]);
  };
  const toggleColumn = (id: string) => {
    const next = new Set(visible);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setVisible(next);
    saveVisibleColumns(session.user.username, next).catch((e: Error) => setError(`Your column choice could not be saved: ${e.message}`));
  };
  // Server-side: the API sorts every match and pages through them in that order.
  const sortBy = (key: string) => {
    setSort((s) => (s?.key === key ? (s.order === 'asc' ? { key, order: 'desc' } : null) : { key, order: 'asc' }));
    setCursors([null]);
  };
  const toggleRow = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };
  const select = (key: 'direction' | 'releaseCause' | 'callType' | 'status' | 'user' | 'group') => ({
    value: draft[key],
    onChange: (e: Event) => setDraft({ ...draft, [key]: (e.currentTarget as HTMLSelectElement).value }),
  });
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
          <select id="f-status" {...select('status')}>
            <option value="">Any</option>
            {(Object.keys(STATUS_INFO) as Status[]).map((s) => (
              <option value={s}>{STATUS_INFO[s].label}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-direction">Direction</label>
          <select id="f-direction" {...select('direction')}>
            <option value="">Any</option>
            {DIRECTIONS.map((d) => (
              <option value={d}>{d}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-cause">Release Cause</label>
          <select id="f-cause" {...select('releaseCause')}>
            <option value="">Any</option>
            {RELEASE_CAUSES.map((d) => (
              <option value={d}>{d}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-type">Call Type</label>
          <select id="f-type" {...select('callType')}>
            <option value="">Any</option>
            {CALL_TYPES.map((d) => (
              <option value={d}>{d}</option>
            ))}
          </select>
        </div>
        <div class="field narrow">
          <label for="f-min">Duration from (s)</label>
          <input id="f-min" inputMode="numeric" placeholder="0" {...field('minDuration')} />
        </div>
        <div class="field narrow">
          <label for="f-max">Duration to (s)</label>
          <input id="f-max" inputMode="numeric" placeholder="any" {...field('maxDuration')} />
        </div>
        <div class="field">
          <label for="f-answering">Answering Party</label>
          <input id="f-answering" placeholder="732, 732* or *Bill" {...field('answeringParty')} />
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
        {canListUsers && (
          <div class="field">
            <label for="f-user">User name</label>
            <select id="f-user" {...select('user')}>
              <option value="">All users</option>
              {users.map((u) => (
                <option value={String(u.id)}>{u.username}</option>
              ))}
            </select>
          </div>
        )}
        {canListUsers && groups.length > 0 && (
          <div class="field">
            <label for="f-group">Group</label>
            <select id="f-group" {...select('group')}>
              <option value="">All groups</option>
              {groups.map((g) => (
                <option value={String(g.id)}>{g.name}</option>
              ))}
            </select>
          </div>
        )}
        {canListUsers && (
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
          <SavedSearches current={apiFilter} onPick={pickSaved} />
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

      <ActionBar selected={selectedRows} filter={apiFilter} can={can} onDone={() => setReload((n) => n + 1)} />

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
            <caption class="sr-only">Recorded interactions{sort ? `, sorted by ${COLUMNS.find((c) => c.sort === sort.key)?.label} ${sort.order === 'asc' ? 'ascending' : 'descending'}` : ', newest first'}</caption>
            <thead>
              <tr>
                <th scope="col" class="icon-col">
                  <input
                    type="checkbox"
                    aria-label="Select all calls on this page"
                    checked={allTicked}
                    onChange={() => setSelected(allTicked ? new Set() : new Set(rows.map((i) => i.id)))}
                  />
                </th>
                <th scope="col" class="icon-col">
                  <span class="sr-only">Status</span>
                </th>
                {shown.map((c) => {
                  const on = c.sort !== undefined && sort?.key === c.sort;
                  return (
                    <th scope="col" aria-sort={on ? (sort!.order === 'asc' ? 'ascending' : 'descending') : undefined}>
                      {c.sort ? (
                        <button type="button" class="sort" onClick={() => sortBy(c.sort!)}>
                          {c.label}
                          <span aria-hidden="true" class="arrow">
                            {on ? (sort!.order === 'asc' ? '▲' : '▼') : ''}
                          </span>
                        </button>
                      ) : (
                        c.label
                      )}
                    </th>
                  );
                })}
                <th scope="col">
                  <span class="sr-only">Player</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((it) => (
                <tr class={it.status === 'recording' ? 'active' : undefined} data-id={it.id}>
                  <td class="icon-col">
                    <input type="checkbox" aria-label={`Select call ${userNames(it)}, ${formatDate(it.startTime)}`} checked={selected.has(it.id)} onChange={() => toggleRow(it.id)} />
                  </td>
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

      <Pager
        label="Pages"
        id="page-size"
        rows={limit}
        onRows={(n) => {
          setLimit(n);
          setCursors([null]);
        }}
        hasPrevious={cursors.length > 1}
        hasNext={!!page?.nextCursor}
        onPrevious={() => setCursors(cursors.slice(0, -1))}
        onNext={() => page?.nextCursor && setCursors([...cursors, page.nextCursor])}
      />
    </section>
  );
}
