import type { Status } from './api';

// The list's filters as the form holds them, and the same filters as the API's InteractionFilter
// (GET /interactions parameters, the export's `filter`, a saved search's `query`).

export const DIRECTIONS = ['Incoming', 'Outgoing', 'None'] as const;
// Seed 000 §1.7 lists Normal, Abandoned, Failure, Missed; Transferred is a defined value too.
export const RELEASE_CAUSES = ['Normal', 'Abandoned', 'Failure', 'Missed', 'Transferred'] as const;
export const CALL_TYPES = [
  'Internal p2p',
  'External p2p',
  'PSTN p2p',
  'Internal Meeting',
  'External Meeting',
  'Internal Meeting with External Participants',
  'Queue Call',
] as const;

export interface Filters {
  q: string;
  party: string;
  answeringParty: string;
  from: string;
  to: string;
  status: '' | Status;
  direction: string;
  releaseCause: string;
  callType: string;
  /** Seconds, as typed. */
  minDuration: string;
  maxDuration: string;
  note: string;
  tag: string;
  correlationId: string;
  /** A user id (seed 000 "Users and Groups"); '' = everyone visible. */
  user: string;
  /** A group id: its members' calls. */
  group: string;
  unassigned: boolean;
}

export const NO_FILTERS: Filters = {
  q: '',
  party: '',
  answeringParty: '',
  from: '',
  to: '',
  status: '',
  direction: '',
  releaseCause: '',
  callType: '',
  minDuration: '',
  maxDuration: '',
  note: '',
  tag: '',
  correlationId: '',
  user: '',
  group: '',
  unassigned: false,
};

export type Sort = { key: string; order: 'asc' | 'desc' } | null;
export type ApiFilter = Record<string, string | number | boolean | Array<string | number>>;

/** The form as the API's filter; a group goes as the group, so a saved search follows its membership. */
export function toApiFilter(f: Filters, sort: Sort): ApiFilter {
  const out: ApiFilter = {};
  for (const key of ['q', 'party', 'answeringParty', 'note', 'correlationId'] as const) {
    const v = f[key].trim();
    if (v) out[key] = v;
  }
  for (const key of ['status', 'direction', 'releaseCause', 'callType'] as const) if (f[key]) out[key] = [f[key]];
  if (f.tag.trim()) out.tag = [f.tag.trim()];
  // datetime-local values are local wall time; the API wants an instant.
  if (f.from) out.from = new Date(f.from).toISOString();
  if (f.to) out.to = new Date(f.to).toISOString();
  if (f.minDuration.trim()) out.minDuration = Number(f.minDuration);
  if (f.maxDuration.trim()) out.maxDuration = Number(f.maxDuration);
  if (f.user) out.user = [Number(f.user)];
  if (f.group) out.group = [Number(f.group)];
  if (f.unassigned) out.unassigned = true;
  if (sort) {
    out.sort = sort.key;
    out.order = sort.order;
  }
  return out;
}

/** A saved search's query back into the form (fields the form has no control for are dropped). */
export function fromApiFilter(q: ApiFilter): { filters: Filters; sort: Sort } {
  const f: Filters = { ...NO_FILTERS };
  const one = (v: unknown) => (Array.isArray(v) ? String(v[0] ?? '') : v === undefined ? '' : String(v));
  for (const key of ['q', 'party', 'answeringParty', 'note', 'correlationId', 'tag', 'direction', 'releaseCause', 'callType', 'minDuration', 'maxDuration', 'user', 'group'] as const) {
    f[key] = one(q[key]);
  }
  f.status = one(q.status) as Filters['status'];
  f.unassigned = q.unassigned === true;
  const local = (iso: unknown) => {
    if (typeof iso !== 'string') return '';
    const d = new Date(iso);
    return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  };
  f.from = local(q.from);
  f.to = local(q.to);
  const sort = typeof q.sort === 'string' ? { key: q.sort, order: q.order === 'asc' ? ('asc' as const) : ('desc' as const) } : null;
  return { filters: f, sort };
}

export function queryString(filter: ApiFilter, limit: number, cursor: string | null): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) {
    if (Array.isArray(v)) for (const x of v) p.append(k, String(x));
    else p.set(k, String(v));
  }
  p.set('limit', String(limit));
  if (cursor) p.set('cursor', cursor);
  return p.toString();
}
