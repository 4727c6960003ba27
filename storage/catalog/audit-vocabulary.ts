// What each audit action means to the people who read the trail: the Action and Item of seed 000's
// Audit Trail (§1.19.3, with the additions its inventory proposes: Access, Download, LegalHoldOn,
// LegalHoldOff; Interactions, Audit Trail, Storage, System Settings, Saved Query, SNMP), the
// PascalCase ActionType of seed 001's CSV (§B.2), the description sentence in seed 000's style
// ("MOD Administrator logged into system"), and for system activities the Log Type and Activity
// Type of seed 000's System Activity Log (§1.19.4). Pure data: the repository stores the derived
// columns with each row, so filters are plain indexed SQL and the hash covers what is shown.

export const AUDIT_KINDS = [
  'Login',
  'Logout',
  'Add',
  'Modify',
  'View',
  'Access',
  'Delete',
  'Export',
  'Play',
  'Download',
  'Send Mail',
  'Disabled',
  'LegalHoldOn',
  'LegalHoldOff',
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export const AUDIT_ITEMS = [
  'Recording Profile',
  'Access Profile',
  'Group',
  'User',
  'Call',
  'Tag',
  'Note',
  'Tenant',
  'Legal Hold',
  'Auto Sync with AAD',
  'Interactions',
  'Audit Trail',
  'Storage',
  'Branding',
  'License',
  'System Settings',
  'Saved Query',
  'SNMP',
] as const;
export type AuditItem = (typeof AUDIT_ITEMS)[number];

/** Seed 000 §1.19.4 Log Type values, casing as the seed has it. */
export const LOG_TYPES = ['Info', 'alarm', 'alarm Clear', 'warning', 'warning Clear', 'error', 'errorClear'] as const;
export type LogType = (typeof LOG_TYPES)[number];

/** Seed 000 §1.19.4's on-prem Activity Types. */
export const ACTIVITY_TYPES = [
  'License',
  'Storage',
  'Configuration',
  'Directory Connection',
  'Directory Sync',
  'SIPREC/SRC',
  'Recording',
  'Retention',
  'System',
  'SNMP',
] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

/** AppName of seed 001's CSV: who wrote the row. */
export type AuditApp = 'Portal' | 'System';

export interface AuditMeaning {
  kind: AuditKind;
  item: AuditItem;
  actionType: string;
  description: string;
  /** Present when the row belongs to the System Activity Log too. */
  activity: { type: ActivityType; logType: LogType } | null;
}

interface Facts {
  action: string;
  username: string | null;
  target: string | null;
  details: Record<string, unknown> | null;
}

type Entry = Omit<AuditMeaning, 'description' | 'activity'> & {
  describe: (who: string, f: Facts) => string;
  activity?: AuditMeaning['activity'];
};

const on = (t: string | null) => (t ? ` ${t}` : '');

const e = (kind: AuditKind, item: AuditItem, actionType: string, describe: Entry['describe'], activity?: AuditMeaning['activity']): Entry => ({
  kind,
  item,
  actionType,
  describe,
  ...(activity ? { activity } : {}),
});

const crud = (item: AuditItem, noun: string, label: string, prefix: string): Record<string, Entry> => ({
  [`${prefix}.create`]: e('Add', item, `Create${noun}`, (w, f) => `${w} added ${label}${on(f.target)}`),
  [`${prefix}.update`]: e('Modify', item, `Update${noun}`, (w, f) => `${w} modified ${label}${on(f.target)}`),
  [`${prefix}.delete`]: e('Delete', item, `Delete${noun}`, (w, f) => `${w} deleted ${label}${on(f.target)}`),
});

const ENTRIES: Record<string, Entry> = {
  login: e('Login', 'User', 'Login', (w) => `${w} logged into system`),
  'login.failed': e('Login', 'User', 'LoginFailed', (_w, f) => `Failed login as ${f.target ?? f.username ?? 'unknown user'}`),
  'login.throttled': e('Login', 'User', 'LoginFailed', (_w, f) => `Login as ${f.target ?? f.username ?? 'unknown user'} refused: too many failed attempts`),
  'login.locked': e('Disabled', 'User', 'LoginFailed', (_w, f) => `User ${f.target ?? ''} was locked out after repeated failed logins`),
  logout: e('Logout', 'User', 'Logout', (w) => `${w} logged out of system`),
  'password.change': e('Modify', 'User', 'ChangePassword', (w) => `${w} changed their password`),
  'interactions.search': e('Access', 'Interactions', 'SearchRecordings', (w) => `${w} accessed Interactions`),
  'interaction.view': e('View', 'Call', 'GetRecordingDetails', (_w, f) => `Call${on(f.target)} was viewed`),
  'media.play': e('Play', 'Call', 'PlayRecording', (w, f) => `${w} played call${on(f.target)}`),
  'media.download': e('Download', 'Call', 'DownloadRecording', (w, f) => `${w} downloaded call${on(f.target)}`),
  'interactions.export': e('Export', 'Interactions', 'ExportRecordingsList', (w) => `${w} exported Interactions to file`),
  'interaction.delete': e('Delete', 'Call', 'DeleteRecording', (w, f) => `${w} deleted call${on(f.target)}`),
  'interaction.delete.refused': e('Delete', 'Call', 'DeleteRecordingRefused', (w, f) => `${w} was refused the deletion of call${on(f.target)} (legal hold)`),
  'tag.assign': e('Add', 'Tag', 'AddTag', (w, f) => `${w} tagged call${on(f.target)}`),
  'tag.remove': e('Delete', 'Tag', 'RemoveTag', (w, f) => `${w} removed a tag from call${on(f.target)}`),
  'tags.bulk-assign': e('Modify', 'Tag', 'BulkAssignTags', (w) => `${w} tagged calls`),
  ...crud('Tag', 'Tag', 'tag', 'tag'),
  'note.add': e('Add', 'Note', 'AddNote', (w, f) => `${w} added a note to call${on(f.target)}`),
  'note.update': e('Modify', 'Note', 'EditNote', (w, f) => `${w} edited a note of call${on(f.target)}`),
  'note.delete': e('Delete', 'Note', 'DeleteNote', (w, f) => `${w} deleted a note of call${on(f.target)}`),
  'legalhold.on': e('LegalHoldOn', 'Legal Hold', 'SetLegalHold', (_w, f) => `${f.details?.scope === 'user' ? 'User' : 'Call'}${on(f.target)} was placed in legal hold`),
  'legalhold.off': e('LegalHoldOff', 'Legal Hold', 'ClearLegalHold', (_w, f) => `${f.details?.scope === 'user' ? 'User' : 'Call'}${on(f.target)} was removed from legal hold`),
  ...crud('User', 'User', 'user', 'user'),
  ...crud('Group', 'Group', 'group', 'group'),
  'group.members': e('Modify', 'Group', 'UpdateGroupMembers', (w, f) => `${w} modified the members of group${on(f.target)}`),
  ...crud('Access Profile', 'AccessProfile', 'access profile', 'access-profile'),
  ...crud('Recording Profile', 'RecordingProfile', 'recording profile', 'recording-profile'),
  ...crud('Saved Query', 'SavedQuery', 'saved query', 'saved-search'),
  'session.terminate': e('Delete', 'User', 'SessionTerminated', (w, f) => `${w} terminated a session of${on(f.target)}`),
  'token.create': e('Add', 'User', 'CreateApiToken', (w, f) => `${w} created an API token${f.target ? ` for ${f.target}` : ''}`),
  'token.revoke': e('Delete', 'User', 'RevokeApiToken', (w, f) => `${w} revoked an API token${f.target ? ` of ${f.target}` : ''}`),
  'audit.search': e('Access', 'Audit Trail', 'GetAuditLog', (w) => `${w} accessed Audit Trail`),
  'audit.export': e('Export', 'Audit Trail', 'DownloadCsvAudit', (w) => `${w} exported Audit Trail to file`),
  'audit.verify': e('View', 'Audit Trail', 'VerifyAuditChain', (w, f) => `${w} verified the Audit Trail: ${f.details?.ok === false ? 'BROKEN' : 'intact'}`),
  'retention.purge': e('Delete', 'Call', 'RetentionPurge', (_w, f) => `Call${on(f.target)} was purged at the end of its retention`),
  'retention.purge.failed': e(
    'Delete',
    'Call',
    'RetentionPurgeFailed',
    (_w, f) => `Purge of call${on(f.target)} failed: ${String(f.details?.error ?? 'unknown error')}; retried by the next run`,
    { type: 'Retention', logType: 'error' },
  ),
  'retention.summary': e(
    'Delete',
    'Call',
    'RetentionPurgeSummary',
    (_w, f) => `Retention purge: ${Number(f.details?.purged ?? 0)} calls purged, ${Number(f.details?.held ?? 0)} held`,
    { type: 'Retention', logType: 'Info' },
  ),
  'storage.test': e('View', 'Storage', 'TestStorageTarget', (w, f) => `${w} tested storage${on(f.target)}: connected`, { type: 'Storage', logType: 'Info' }),
  'storage.test.failed': e(
    'View',
    'Storage',
    'TestStorageTarget',
    (w, f) => `${w} tested storage${on(f.target)}: ${String(f.details?.error ?? 'failed')}`,
    { type: 'Storage', logType: 'error' },
  ),
};

// config.change says what it changed in details.setting and how in details.op.
const SETTINGS: Record<string, { item: AuditItem; noun: string; label: string; actionType?: string }> = {
  retention: { item: 'System Settings', noun: 'Retention', label: 'retention settings', actionType: 'UpdateRetention' },
  'storage.target': { item: 'Storage', noun: 'StorageTarget', label: 'storage target' },
  'snmp.trapDestination': { item: 'SNMP', noun: 'SnmpTrapDestination', label: 'SNMP trap destination' },
  'branding.logo': { item: 'Branding', noun: 'Logo', label: 'the logo' },
};

function configChange(f: Facts): Entry {
  const setting = String(f.details?.setting ?? '');
  const op = String(f.details?.op ?? 'update');
  const s = SETTINGS[setting] ?? { item: 'System Settings' as const, noun: 'SystemSettings', label: `setting ${setting}` };
  const kind: AuditKind = op === 'create' ? 'Add' : op === 'delete' ? 'Delete' : 'Modify';
  const verb = op === 'create' ? 'added' : op === 'delete' ? 'deleted' : 'modified';
  const actionType = s.actionType ?? `${op === 'create' ? 'Create' : op === 'delete' ? 'Delete' : 'Update'}${s.noun}`;
  return e(kind, s.item, actionType, (w) => `${w} ${verb} ${s.label}${on(f.target)}`, { type: 'Configuration', logType: 'Info' });
}

function fallback(f: Facts): Entry {
  const last = f.action.split('.').pop() ?? '';
  const kind: AuditKind = /^(create|add|assign|on)$/.test(last) ? 'Add' : /^(delete|remove|revoke|off)$/.test(last) ? 'Delete' : 'Modify';
  const item = (AUDIT_ITEMS as readonly string[]).includes(String(f.details?.item)) ? (f.details!.item as AuditItem) : 'System Settings';
  const actionType = f.action
    .split(/[.\-_]/)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
  return e(kind, item, actionType, (w) => `${w}: ${f.action}${on(f.target)}`);
}

/** The meaning of one audit row; actions nobody listed yet still get a sensible one. */
export function auditMeaning(f: Facts): AuditMeaning {
  const entry = f.action === 'config.change' ? configChange(f) : (ENTRIES[f.action] ?? fallback(f));
  return {
    kind: entry.kind,
    item: entry.item,
    actionType: entry.actionType,
    description: entry.describe(f.username ?? 'system', f),
    activity: entry.activity ?? null,
  };
}
