import { stringify } from 'csv-stringify/sync';
import type { Interaction, InteractionStatus } from '../../storage/catalog/index.js';

/** Seed 000 §1.11 "Export to Excel", the 27 columns in order. */
export const EXPORT_COLUMNS = [
  'Call Id',
  'Target Display Name',
  'Target Upn',
  'OnBehalfOf',
  'TransferredBy',
  'TransferredTo',
  'Called Party',
  'Calling Party',
  'Answered By',
  'Answered time',
  'Start Time',
  'Release Time',
  'SipCallId',
  'SysCallId',
  'Call Direction',
  'Call Type',
  'Release Cause',
  'Notes',
  'Participants',
  'Files',
  'Media Audio Status',
  'Expiration',
  'QueueName',
  'DoubleRecordingType',
  'PairedCall',
  'Tags',
  'Call Link',
] as const;

const MEDIA_STATUS: Record<InteractionStatus, string> = {
  recording: 'Recording',
  pending: 'Pending',
  available: 'Available',
  failed: 'Failed',
  deleted: 'Deleted',
};

/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or CR that hides one) as a
 * formula: such cells get a leading apostrophe, which spreadsheets show as text (OWASP's advice).
 */
export function neutraliseFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** Seed 000: "Answered By": the party who answered; meetings show "Conference". */
function answeredBy(it: Interaction): string {
  if (it.releaseCause === 'Missed' || it.releaseCause === 'Abandoned') return '';
  if (it.callType?.includes('Meeting')) return 'Conference';
  return it.calledParty ?? '';
}

/**
 * The CSV rows of one interaction: one per targeted user the viewer may see (seed 000: "one row
 * per targeted user per call"), or one with empty target columns for an unassigned call.
 */
export function exportRows(it: Interaction, viewer: number | null, link: string): string[][] {
  const targets = it.targets.filter((t) => viewer === null || t.userId === viewer);
  const base = (target: Interaction['targets'][number] | undefined): string[] => [
    it.id,
    target?.username ?? '',
    target?.username ?? '',
    '',
    '',
    '',
    it.calledParty ?? '',
    it.callingParty ?? '',
    answeredBy(it),
    it.answerTime ?? '',
    it.startTime,
    it.endTime ?? '',
    it.callId,
    it.originalCallId ?? '',
    target?.direction ?? it.direction,
    it.callType ?? '',
    it.releaseCause ?? '',
    it.notes.map((n) => n.text).join('; '),
    it.participants.map((p) => p.name ?? p.aor ?? p.participantId).join(';'),
    it.files.map((f) => `${it.id}.${f.format}`).join(';'),
    MEDIA_STATUS[it.status],
    it.expiresAt ?? '',
    '',
    '',
    '',
    it.tags.join(';'),
    link,
  ];
  return targets.length > 0 ? targets.map(base) : [base(undefined)];
}

/** Header rows (seed 000: "Report Header", "Requested By", "Created At", "Search Criteria"), a blank row, the column row. */
export function exportHead(requestedBy: string, createdAt: Date, criteria: string): string[][] {
  return [
    ['Report Header', 'Interactions'],
    ['Requested By', requestedBy],
    ['Created At', createdAt.toISOString()],
    ['Search Criteria', criteria],
    [],
    [...EXPORT_COLUMNS],
  ];
}

export function toCsv(rows: string[][]): string {
  return stringify(rows.map((r) => r.map(neutraliseFormula)), { record_delimiter: '\r\n' });
}
