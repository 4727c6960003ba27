// The catalog's data model as the rest of the appliance sees it. Field names follow the operator
// contract (ARCHITECTURE.md, "An interaction in the API") and the seed 000 data dictionary (§1.21).

export type InteractionStatus = 'recording' | 'pending' | 'available' | 'failed' | 'deleted';
/** Seed 000 §1.6 Direction values. */
export type Direction = 'Incoming' | 'Outgoing' | 'None';
/** Seed 000 §1.6 Release Cause values. */
export type ReleaseCause = 'Normal' | 'Failure' | 'Missed' | 'Abandoned' | 'Transferred';
/** Seed 000 §1.7 Call Type values (filter list, the superset). */
export type CallType =
  | 'Internal p2p'
  | 'External p2p'
  | 'PSTN p2p'
  | 'Internal Meeting'
  | 'External Meeting'
  | 'Internal Meeting with External Participants'
  | 'Queue Call';
export const CALL_TYPES: readonly CallType[] = [
  'Internal p2p',
  'External p2p',
  'PSTN p2p',
  'Internal Meeting',
  'External Meeting',
  'Internal Meeting with External Participants',
  'Queue Call',
];

/** A portal user the call is linked to (seed 000 "targeted user"), with the Direction seen from that user. */
export interface InteractionTarget {
  userId: number;
  username: string;
  direction: Direction;
  /** The user is on legal hold, which holds this call too. */
  legalHold: boolean;
}

export interface Note {
  id: number;
  authorId: number | null;
  author: string | null;
  text: string;
  createdAt: string;
}

export interface NewNote {
  authorId: number | null;
  author: string | null;
  text: string;
}

export interface Participant {
  /** Participant id from the metadata (or a generated one for plain SIP forks). */
  participantId: string;
  name: string | null;
  /** AoR as sent (may lack a URI scheme: AudioCodes). */
  aor: string | null;
  role: 'calling' | 'called' | 'other';
}

export interface StreamInfo {
  /** SDP a=label (or the m-line index as text when the SRC sent no label). */
  label: string;
  participantId: string | null;
  /** 0 = LEFT (calling party), 1 = RIGHT (called party). */
  channel: 0 | 1;
  /** A stream carrying several parties already mixed (BroadWorks, Metaswitch): written to both channels. */
  mixed: boolean;
  codec: string | null;
  packets: number;
  lost: number;
  /** Interarrival jitter in milliseconds (RFC 3550 A.8), averaged over the stream. */
  jitterMs: number;
}

/**
 * Quality of the recording leg of one stream (SRC -> recorder, seeds 000-002 §2.5/2.6), measured
 * by the mixer and stored when the call ends. It says how complete the recording is, not what the
 * parties heard.
 */
export interface StreamQuality {
  /** Packets the sequence numbers say were sent (RFC 3550 A.3). */
  expected: number;
  /** lost / expected. */
  lossRate: number;
  /** The worst loss rate over 20 s windows. */
  maxLossRate20s: number;
  duplicates: number;
  /** Packets that arrived after one with a higher sequence number. */
  reordered: number;
  /** Packets that arrived after their place in the recording was written (and were discarded). */
  late: number;
  jitterMaxMs: number;
  /** Audio synthesised where packets were lost or late. */
  concealedMs: number;
  /** Concealed samples / all samples the stream wrote. */
  concealedRatio: number;
  /** ITU-T G.107 E-model estimate (1..4.5) for the recording leg; null without packets. */
  estMos: number | null;
}

export type StreamRecord = StreamInfo & StreamQuality;

/** Where a media file is now: waiting in the local spool for upload, or verified in the media target. */
export type MediaLocation = 'spool' | 'target';

export interface MediaFile {
  format: 'wav' | 'mp3';
  /** Storage key relative to the media target root (e.g. 2026/11/24/<id>.wav). */
  key: string;
  bytes: number;
  sha256: string;
  sampleRate: number;
  channels: number;
  durationMs: number;
  /** Absent when attaching: 'target' (a file stored directly). Always present when read. */
  location?: MediaLocation;
}

export interface Interaction {
  id: string;
  callId: string;
  sessionId: string | null;
  startTime: string; // ISO 8601 UTC
  endTime: string | null;
  durationMs: number | null;
  direction: Direction;
  callingParty: string | null;
  calledParty: string | null;
  participants: Participant[];
  status: InteractionStatus;
  releaseCause: ReleaseCause | null;
  /**
   * The recording stops before the call did: the recorder crashed mid-call and its next start
   * stored the audio written up to the crash.
   */
  partial: boolean;
  /**
   * Why the interaction failed or its recording stopped early ("No RTP received", "Spool write
   * failed"); null when nothing went wrong.
   */
  failureReason: string | null;
  /** The SRC as seen on the wire: "udp:10.0.0.5:5060". */
  src: string;
  streams: StreamRecord[];
  tags: string[];
  files: MediaFile[];
  /** Which metadata rule decided caller/callee (interop.md "Caller/callee decision"). */
  partyRule: string | null;
  /** Correlation ids from metadata and headers (sipSessionID, ucid, gcid, x-audc-call-id ...). */
  correlationIds: Record<string, string>;
  /** Timed session events (pause, resume, dtmf, refresh, metadata ...), oldest first. */
  events: InteractionEvent[];
  /** When the call was answered (seed 000 Answer Time); null when unknown. */
  answerTime: string | null;
  callType: CallType | null;
  /** Seed 000 Original Call ID: the CS id (sipSessionID, CS Call-ID or SBC header), else the session id. */
  originalCallId: string | null;
  /** Seed 000 Call Expiration: start + retention days; null = kept forever. */
  expiresAt: string | null;
  /** Held, by its own hold or a target user's: never purged or deleted while true. */
  legalHold: boolean;
  /** Since when the recording itself is held (a user's hold shows in `targets`). */
  legalHoldSince: string | null;
  /** Set on a tombstone (status 'deleted'). */
  deletedAt: string | null;
  deletedReason: 'retention' | 'manual' | null;
  /** The users the call is linked to; empty = unassigned (administrators only). */
  targets: InteractionTarget[];
  notes: Note[];
}

export interface InteractionEvent {
  at: string; // ISO 8601
  /** Milliseconds from the interaction's start. */
  offsetMs: number;
  kind: string;
  details: Record<string, unknown> | null;
}

export interface MetadataVersion {
  version: number;
  receivedAt: string;
  /** The SIP method that carried it: INVITE, UPDATE, BYE ... */
  method: string;
  dataMode: string | null;
  xml: string;
}

export interface NewInteraction {
  callId: string;
  sessionId: string | null;
  startTime: Date;
  direction: Direction;
  callingParty: string | null;
  calledParty: string | null;
  participants: Participant[];
  src: string;
  streams: Array<Pick<StreamInfo, 'label' | 'participantId' | 'channel' | 'codec' | 'mixed'>>;
  partyRule: string | null;
  /** Retention of the call in days; null, 0 or absent = kept forever. Fixes expiresAt at creation. */
  retentionDays?: number | null;
  callType?: CallType | null;
}

export interface InteractionQuery {
  from?: Date;
  to?: Date;
  /** Matches calling party, called party or any participant AoR/name; `*` wildcards (seed 000 §1.7). */
  party?: string;
  callId?: string;
  /** Exact match on sessionId, callId or any stored correlation id. */
  correlationId?: string;
  status?: InteractionStatus;
  /** Full-text search over parties and notes (FTS5): words, `word*` for a prefix, all must match. */
  q?: string;
  /** Whole words that must all appear in the notes. */
  note?: string;
  tag?: string;
  /** Calls linked to this user; their Direction is shown relative to that user. */
  userId?: number;
  /** Only calls linked to nobody (seed 003 "Not assigned to users"). */
  unassigned?: boolean;
  limit: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type Role = 'admin' | 'supervisor' | 'user' | 'auditor';

export interface User {
  id: number;
  username: string;
  role: Role;
  extensions: string[];
  mustChangePassword: boolean;
  createdAt: string;
  /** Since when the user is on legal hold (all their calls are held); null = not held. */
  legalHoldSince: string | null;
}

export type Severity = 'cleared' | 'indeterminate' | 'warning' | 'minor' | 'major' | 'critical';

export interface Alarm {
  id: number;
  /** RecordingResourceUnavailable | ConnectionFailed */
  name: string;
  oid: string;
  /** e.g. sipvault/Recorder, sipvault/Local-SystemConfiguration */
  source: string;
  severity: Severity;
  state: 'active' | 'cleared';
  text: string;
  raisedAt: string;
  clearedAt: string | null;
}

/** Which interactions a caller may see; enforced inside the catalog's SQL. */
export type AccessScope =
  | { kind: 'all' }
  | { kind: 'extensions'; extensions: string[] }
  /** The calls linked to this user (interaction_users); never unassigned calls. */
  | { kind: 'user'; userId: number };

export interface PartiesUpdate {
  callingParty: string | null;
  calledParty: string | null;
  participants: Participant[];
  direction: Direction;
  partyRule: string | null;
}

export interface FinishInfo {
  endTime: Date;
  releaseCause: ReleaseCause;
  status: 'pending' | 'failed';
  /** Final statistics per stream; quality fields left out are stored as zero (estMos as null). */
  streams: Array<StreamInfo & Partial<StreamQuality>>;
  /** Set by crash recovery: the audio ends where the recorder died (see Interaction.partial). */
  partial?: boolean;
  /** See Interaction.failureReason; absent means none. */
  failureReason?: string | null;
}

/** Speech on one channel of a recording (LEFT = calling party, RIGHT = called party). */
export interface SpeechSegment {
  channel: 'left' | 'right';
  /** Milliseconds from the start of the recording. */
  startMs: number;
  endMs: number;
}

export interface NewUser {
  username: string;
  password: string;
  role: Role;
  extensions: string[];
  mustChangePassword?: boolean;
}

export interface NewSession {
  /** The bearer token for the cookie; only its SHA-256 is stored. */
  id: string;
  csrfToken: string;
  expiresAt: Date;
}

export interface SessionTouch {
  userId: number;
  csrfToken: string;
}

export interface RaiseAlarm {
  name: string;
  oid: string;
  source: string;
  /** Any severity except 'cleared' (use AlarmsRepo.clear). */
  severity: Exclude<Severity, 'cleared'>;
  text: string;
}

/** One row of the alarm history: a raise, a severity change or a clear of the alarm `id`. */
export interface AlarmEvent extends Alarm {
  eventId: number;
  event: 'raise' | 'change' | 'clear';
  /** When this event happened. */
  at: string;
}

export interface NewAuditEntry {
  userId: number | null;
  username: string | null;
  action: string;
  target: string | null;
  details: Record<string, unknown> | null;
  ip: string | null;
}

export interface AuditEntry extends NewAuditEntry {
  id: number;
  at: string;
}

export interface AuditQuery {
  from?: Date;
  to?: Date;
  limit: number;
}
