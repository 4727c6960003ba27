import { InvalidCursorError, InvalidInputError } from './errors.js';
import { decodeCursor, encodeCursor } from './ids.js';

/**
 * The columns the interaction list sorts by (seed 000 §1.6: "sorting ascending or descending by
 * clicking column header"), each as the SQL expression the ORDER BY and the keyset cursor share.
 * Missing values get a sentinel instead of NULL so that `(expr, id) < (value, id)` pages through
 * them like any other value; unfinished calls sort as the shortest, "kept forever" as the latest.
 */
export const SORTS = {
  startTime: 'i.start_time',
  answerTime: 'ifnull(i.answer_time, -1)',
  releaseTime: 'ifnull(i.end_time, -1)',
  duration: 'ifnull(i.duration_ms, -1)',
  direction: 'i.direction',
  callingParty: "ifnull(i.calling_party, '')",
  calledParty: "ifnull(i.called_party, '')",
  releaseCause: "ifnull(i.release_cause, '')",
  callType: "ifnull(i.call_type, '')",
  status: 'i.status',
  expiration: 'ifnull(i.expires_at, 9007199254740991)',
} as const;

export type SortKey = keyof typeof SORTS;
export const SORT_KEYS = Object.keys(SORTS) as SortKey[];
export type SortOrder = 'asc' | 'desc';

export interface SortCursor {
  value: number | string;
  id: string;
}

/**
 * Opaque keyset cursor: the sort value and id of the last row of the previous page. The default
 * order (startTime desc) keeps the catalog's original cursor format; other orders carry their sort
 * and direction, so a cursor from one order is refused by another instead of skipping rows.
 */
export function encodeSortCursor(sort: SortKey, order: SortOrder, c: SortCursor): string {
  if (sort === 'startTime' && order === 'desc') return encodeCursor({ startMs: c.value as number, id: c.id });
  return Buffer.from(JSON.stringify([sort, order, c.value, c.id]), 'utf8').toString('base64url');
}

export function decodeSortCursor(cursor: string, sort: SortKey, order: SortOrder): SortCursor {
  if (sort === 'startTime' && order === 'desc') {
    const p = decodeCursor(cursor);
    return { value: p.startMs, id: p.id };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) throw new InvalidCursorError();
  const [s, o, value, id] = parsed as unknown[];
  if (s !== sort || o !== order) throw new InvalidInputError(`cursor belongs to another sort order (${String(s)} ${String(o)}); start again without it`);
  if ((typeof value !== 'number' && typeof value !== 'string') || typeof id !== 'string' || !/^[0-9a-f]{24}$/.test(id)) {
    throw new InvalidCursorError();
  }
  return { value, id };
}
