import type { ComponentChildren } from 'preact';
import type { Interaction } from './api';
import { formatDate, formatDay, formatDuration, formatTime, waitTime } from './format';

/** One grid column of the interactions list; names are seed 000 §1.6 parameters. */
export interface Column {
  id: string;
  label: string;
  defaultVisible: boolean;
  render: (it: Interaction) => ComponentChildren;
  /** Sort key; columns without one are not sortable. */
  sortKey?: (it: Interaction) => string | number;
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
  { id: 'user', label: 'User name', defaultVisible: true, render: (it) => userNames(it), sortKey: userNames },
  { id: 'date', label: 'Date', defaultVisible: true, render: (it) => formatDate(it.startTime), sortKey: (it) => it.startTime },
  { id: 'start', label: 'Start time', defaultVisible: false, render: (it) => formatTime(it.startTime), sortKey: (it) => it.startTime },
  { id: 'answer', label: 'Answer Time', defaultVisible: false, render: (it) => formatTime(it.answerTime), sortKey: (it) => it.answerTime ?? '' },
  { id: 'release', label: 'Release Time', defaultVisible: false, render: (it) => formatTime(it.endTime), sortKey: (it) => it.endTime ?? '' },
  {
    id: 'wait',
    label: 'Call Wait Time',
    defaultVisible: false,
    render: (it) => waitTime(it.startTime, it.answerTime),
    sortKey: (it) => (it.answerTime ? Date.parse(it.answerTime) - Date.parse(it.startTime) : -1),
  },
  { id: 'duration', label: 'Duration', defaultVisible: true, render: (it) => formatDuration(it.durationMs), sortKey: (it) => it.durationMs ?? -1 },
  { id: 'direction', label: 'Direction', defaultVisible: true, render: (it) => it.direction, sortKey: (it) => it.direction },
  { id: 'called', label: 'Called Party', defaultVisible: true, render: (it) => party(it, 'called'), sortKey: (it) => it.calledParty ?? '' },
  { id: 'calling', label: 'Calling Party', defaultVisible: true, render: (it) => party(it, 'calling'), sortKey: (it) => it.callingParty ?? '' },
  {
    id: 'participants',
    label: 'Participants',
    defaultVisible: false,
    render: (it) => <span title={it.participants.map((p) => p.name ?? p.aor).join(', ')}>{participantsLabel(it)}</span>,
    sortKey: participantsLabel,
  },
  { id: 'cause', label: 'Release Cause', defaultVisible: true, render: (it) => it.releaseCause ?? '', sortKey: (it) => it.releaseCause ?? '' },
  { id: 'type', label: 'Call Type', defaultVisible: false, render: (it) => it.callType ?? '', sortKey: (it) => it.callType ?? '' },
  {
    id: 'tags',
    label: 'Tags',
    defaultVisible: true,
    render: (it) => (it.tags.length ? <span title={it.tags.join(', ')}>Tag ({it.tags.length})</span> : ''),
    sortKey: (it) => it.tags.length,
  },
  {
    id: 'notes',
    label: 'Notes',
    defaultVisible: true,
    render: (it) => (it.notes.length ? <span class="has-notes" title={it.notes.map((n) => n.text).join('; ')}>Note ({it.notes.length})</span> : ''),
    sortKey: (it) => it.notes.length,
  },
  { id: 'expiration', label: 'Call Expiration', defaultVisible: false, render: (it) => (it.expiresAt ? formatDay(it.expiresAt) : 'Never'), sortKey: (it) => it.expiresAt ?? '9' },
  { id: 'original', label: 'Original Call ID', defaultVisible: false, render: (it) => it.originalCallId ?? '', sortKey: (it) => it.originalCallId ?? '' },
];

const storageKey = (username: string) => `sipvault.columns.${username}`;

/** The columns this user chose (remembered in the browser until settings per user exist in the API). */
export function loadVisibleColumns(username: string): Set<string> {
  try {
    const saved = JSON.parse(localStorage.getItem(storageKey(username)) ?? 'null') as unknown;
    if (Array.isArray(saved)) return new Set(saved.filter((c): c is string => typeof c === 'string' && COLUMNS.some((k) => k.id === c)));
  } catch {
    // A damaged entry falls back to the defaults.
  }
  return new Set(COLUMNS.filter((c) => c.defaultVisible).map((c) => c.id));
}

export function saveVisibleColumns(username: string, visible: Set<string>): void {
  localStorage.setItem(storageKey(username), JSON.stringify([...visible]));
}
