import type { ComponentChildren } from 'preact';
import { api, type Interaction } from './api';
import { formatDate, formatDay, formatDuration, formatTime, waitTime } from './format';
import { LiveDuration } from './live-duration';

/** One grid column of the interactions list; names are seed 000 §1.6 parameters. */
export interface Column {
  id: string;
  label: string;
  defaultVisible: boolean;
  render: (it: Interaction) => ComponentChildren;
  /** The API's `sort` key (server-side sorting over all matches); columns without one are not sortable. */
  sort?: string;
}

const partyName = (it: Interaction, role: 'calling' | 'called'): string | null =>
  it.participants.find((p) => p.role === role)?.name ?? null;

function party(it: Interaction, role: 'calling' | 'called') {
  const number = role === 'calling' ? it.callingParty : it.calledParty;
  const name = partyName(it, role);
  return <span title={name ?? undefined}>{number ?? name ?? ''}</span>;
}

export const userNames = (it: Interaction): string => (it.targets.length ? it.targets.map((t) => t.username).join(', ') : 'Unassigned');

export function participantsLabel(it: Interaction): string {
  const names = it.participants.map((p) => p.name ?? p.aor ?? p.participantId);
  if (names.length === 0) return '';
  return names.length === 1 ? names[0]! : `${names[0]} +${names.length - 1}`;
}

export const COLUMNS: Column[] = [
  { id: 'user', label: 'User name', defaultVisible: true, render: (it) => userNames(it) },
  { id: 'date', label: 'Date', defaultVisible: true, render: (it) => formatDate(it.startTime), sort: 'startTime' },
  { id: 'start', label: 'Start time', defaultVisible: false, render: (it) => formatTime(it.startTime), sort: 'startTime' },
  { id: 'answer', label: 'Answer Time', defaultVisible: false, render: (it) => formatTime(it.answerTime), sort: 'answerTime' },
  { id: 'release', label: 'Release Time', defaultVisible: false, render: (it) => formatTime(it.endTime), sort: 'releaseTime' },
  {
    id: 'wait',
    label: 'Call Wait Time',
    defaultVisible: false,
    render: (it) => waitTime(it.startTime, it.answerTime),
  },
  { id: 'duration', label: 'Duration', defaultVisible: true, render: (it) => (it.status === 'recording' ? <LiveDuration start={it.startTime} /> : formatDuration(it.durationMs)), sort: 'duration' },
  { id: 'direction', label: 'Direction', defaultVisible: true, render: (it) => it.direction, sort: 'direction' },
  { id: 'called', label: 'Called Party', defaultVisible: true, render: (it) => party(it, 'called'), sort: 'calledParty' },
  { id: 'calling', label: 'Calling Party', defaultVisible: true, render: (it) => party(it, 'calling'), sort: 'callingParty' },
  {
    id: 'participants',
    label: 'Participants',
    defaultVisible: false,
    render: (it) => <span title={it.participants.map((p) => p.name ?? p.aor).join(', ')}>{participantsLabel(it)}</span>,
  },
  { id: 'cause', label: 'Release Cause', defaultVisible: true, render: (it) => it.releaseCause ?? '', sort: 'releaseCause' },
  { id: 'type', label: 'Call Type', defaultVisible: false, render: (it) => it.callType ?? '', sort: 'callType' },
  {
    id: 'tags',
    label: 'Tags',
    defaultVisible: true,
    render: (it) => (it.tags.length ? <span title={it.tags.join(', ')}>Tag ({it.tags.length})</span> : ''),
  },
  {
    id: 'notes',
    label: 'Notes',
    defaultVisible: true,
    render: (it) => (it.notes.length ? <span class="has-notes" title={it.notes.map((n) => n.text).join('; ')}>Note ({it.notes.length})</span> : ''),
  },
  { id: 'expiration', label: 'Call Expiration', defaultVisible: false, render: (it) => (it.expiresAt ? formatDay(it.expiresAt) : 'Never'), sort: 'expiration' },
  { id: 'original', label: 'Original Call ID', defaultVisible: false, render: (it) => it.originalCallId ?? '' },
];

const storageKey = (username: string) => `sipvault.columns.${username}`;

const known = (ids: unknown[]): Set<string> => new Set(ids.filter((c): c is string => typeof c === 'string' && COLUMNS.some((k) => k.id === c)));

/**
 * The columns this user chose, as this browser last saw them (the list draws at once); the
 * catalog's copy (GET /me/preferences) follows and wins, so the choice goes with the user.
 */
export function loadVisibleColumns(username: string): Set<string> {
  try {
    const saved = JSON.parse(localStorage.getItem(storageKey(username)) ?? 'null') as unknown;
    if (Array.isArray(saved)) return known(saved);
  } catch {
    // A damaged entry falls back to the defaults.
  }
  return new Set(COLUMNS.filter((c) => c.defaultVisible).map((c) => c.id));
}

/** The user's choice stored in the catalog; null when never made (or unreadable). */
export async function fetchVisibleColumns(username: string): Promise<Set<string> | null> {
  const prefs = await api<{ interactionColumns: string[] | null }>('GET', '/me/preferences').catch(() => null);
  if (!prefs?.interactionColumns) return null;
  const cols = known(prefs.interactionColumns);
  localStorage.setItem(storageKey(username), JSON.stringify([...cols]));
  return cols;
}

export function saveVisibleColumns(username: string, visible: Set<string>): Promise<unknown> {
  localStorage.setItem(storageKey(username), JSON.stringify([...visible]));
  return api('PUT', '/me/preferences', { interactionColumns: [...visible] });
}
