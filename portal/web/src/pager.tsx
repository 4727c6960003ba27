import { useEffect, useState } from 'preact/hooks';

// Seed 000's lists page with "Rows per page: 10". One pager for the lists the API pages with a
// cursor (interactions, audit, activity) and the ones small enough to page in the browser
// (users, groups, tags, access profiles).

export const ROWS_PER_PAGE = [10, 25, 50, 100];

export interface PagerProps {
  /** Names the navigation landmark, e.g. "Users pages". */
  label: string;
  /** Id of the rows-per-page select (unique on the page). */
  id: string;
  rows: number;
  onRows: (n: number) => void;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
  /** e.g. "11–20 of 42". */
  summary?: string;
}

export function Pager(p: PagerProps) {
  return (
    <nav class="pager" aria-label={p.label}>
      <label for={p.id}>Rows per page</label>
      <select id={p.id} value={String(p.rows)} onChange={(e) => p.onRows(Number((e.currentTarget as HTMLSelectElement).value))}>
        {ROWS_PER_PAGE.map((n) => (
          <option value={String(n)}>{n}</option>
        ))}
      </select>
      {p.summary && <span class="muted page-summary">{p.summary}</span>}
      <button type="button" disabled={!p.hasPrevious} onClick={p.onPrevious}>
        Previous page
      </button>
      <button type="button" disabled={!p.hasNext} onClick={p.onNext}>
        Next page
      </button>
    </nav>
  );
}

/** Pages a list the browser holds whole; the page stays in range when the list shrinks. */
export function useListPages<T>(items: readonly T[] | undefined, label: string, id: string): { visible: T[]; pager: PagerProps } {
  const [rows, setRows] = useState(ROWS_PER_PAGE[0]!);
  const [page, setPage] = useState(0);
  const total = items?.length ?? 0;
  const pages = Math.max(1, Math.ceil(total / rows));
  useEffect(() => {
    if (page >= pages) setPage(pages - 1);
  }, [page, pages]);
  const at = Math.min(page, pages - 1);
  const first = at * rows;
  const visible = (items ?? []).slice(first, first + rows);
  return {
    visible,
    pager: {
      label,
      id,
      rows,
      onRows: (n) => {
        setRows(n);
        setPage(0);
      },
      hasPrevious: at > 0,
      hasNext: at < pages - 1,
      onPrevious: () => setPage(at - 1),
      onNext: () => setPage(at + 1),
      summary: total === 0 ? '' : `${first + 1}–${first + visible.length} of ${total}`,
    },
  };
}

/**
 * Pages a list the API pages with cursors: the trail of cursors walked so far is the way back.
 * `restart()` goes to the first page (a new search); `pager(next)` takes the page's nextCursor.
 */
export function useCursorPages(initialRows: number, label: string, id: string): {
  rows: number;
  cursor: string | null;
  restart: () => void;
  pager: (nextCursor: string | null | undefined) => PagerProps;
} {
  const [rows, setRows] = useState(initialRows);
  const [trail, setTrail] = useState<string[]>([]);
  return {
    rows,
    cursor: trail[trail.length - 1] ?? null,
    restart: () => setTrail([]),
    pager: (next) => ({
      label,
      id,
      rows,
      onRows: (n) => {
        setRows(n);
        setTrail([]);
      },
      hasPrevious: trail.length > 0,
      hasNext: !!next,
      onPrevious: () => setTrail(trail.slice(0, -1)),
      onNext: () => next && setTrail([...trail, next]),
    }),
  };
}
