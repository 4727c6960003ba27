import type BetterSqlite3 from 'better-sqlite3';
import { InvalidInputError, NotFoundError } from './errors.js';
import { decodeCursor, encodeCursor, newInteractionId } from './ids.js';
import { aorUserPart, partyMatch } from './party.js';
import { SearchIndex, matchExpression } from './search-index.js';
import { UserLinks } from './user-links.js';
import type {
  AccessScope,
  CallType,
  Direction,
  FinishInfo,
  Interaction,
  InteractionQuery,
  InteractionStatus,
  MediaFile,
  MediaLocation,
  NewInteraction,
  NewNote,
  Page,
  Participant,
  PartiesUpdate,
  ReleaseCause,
} from './types.js';

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

export const MAX_PAGE = 200;

interface InteractionRow {
  id: string;
  call_id: string;
  session_id: string | null;
  start_time: number;
  end_time: number | null;
  duration_ms: number | null;
  direction: Direction;
  calling_party: string | null;
  called_party: string | null;
  status: InteractionStatus;
  release_cause: ReleaseCause | null;
  partial: 0 | 1;
  src: string;
  party_rule: string | null;
  failure_reason: string | null;
  answer_time: number | null;
  call_type: CallType | null;
  expires_at: number | null;
  legal_hold_since: number | null;
  deleted_at: number | null;
  deleted_reason: 'retention' | 'manual' | null;
}

interface ParticipantRow {
  interaction_id: string;
  participant_id: string;
  name: string | null;
  aor: string | null;
  role: Participant['role'];
}

interface StreamRow {
  interaction_id: string;
  label: string;
  participant_id: string | null;
  channel: 0 | 1;
  mixed: 0 | 1;
  codec: string | null;
  packets: number;
  lost: number;
  jitter_ms: number;
  expected: number;
  loss_rate: number;
  max_loss_rate_20s: number;
  duplicates: number;
  reordered: number;
  late: number;
  jitter_max_ms: number;
  concealed_ms: number;
  concealed_ratio: number;
  est_mos: number | null;
}

interface FileRow {
  interaction_id: string;
  format: MediaFile['format'];
  key: string;
  bytes: number;
  sha256: string;
  sample_rate: number;
  channels: number;
  duration_ms: number;
  location: MediaLocation;
}

const COLUMNS = `i.id, i.call_id, i.session_id, i.start_time, i.end_time, i.duration_ms, i.direction,
  i.calling_party, i.called_party, i.status, i.release_cause, i.partial, i.src, i.party_rule,
  i.answer_time, i.call_type, i.expires_at, i.legal_hold_since, i.deleted_at, i.deleted_reason, i.failure_reason`;

// A user-scoped caller (user, supervisor) sees the calls linked to it, never unassigned ones.
// Driven from the user's links (a user has a few thousand calls a year, a catalog millions).
const USER_SCOPE_SQL = `i.id IN (SELECT su.interaction_id FROM interaction_users su WHERE su.user_id = @scopeUser)`;

// Filters matched per row while the list walks the start-time index newest first: cheap when
// many rows match (the page fills after a few hundred rows), where collecting every match first
// would cost as many rows as match. The unary + keeps SQLite from turning them into index lookups.
const PARTY_LIKE_LAZY_SQL = `(+i.calling_user LIKE @plike ESCAPE '\\' OR +i.called_user LIKE @plike ESCAPE '\\'
  OR +i.calling_party LIKE @plike ESCAPE '\\' OR +i.called_party LIKE @plike ESCAPE '\\'
  OR EXISTS (SELECT 1 FROM participants lp WHERE lp.interaction_id = i.id
             AND (+lp.aor LIKE @plike ESCAPE '\\' OR +lp.aor_user LIKE @plike ESCAPE '\\' OR +lp.name LIKE @plike ESCAPE '\\')))`;
const TAG_LAZY_SQL = `EXISTS (SELECT 1 FROM interaction_tags lt WHERE lt.interaction_id = i.id AND lt.tag = @tag)`;

/**
 * Above this many matching rows a filter is applied per row during the newest-first walk (it
 * fills a page quickly); below, its matches are collected first through their index (the walk
 * would pass over too many rows). sqrt(page x catalog size) is the break-even; 5,000 suits
 * catalogs of a few million calls.
 */
const COMMON_MATCHES = 5000;

const DAY_MS = 86_400_000;

// A scoped caller sees an interaction when one of its extensions is the user part of the calling
// party, the called party or any participant's AoR. Bound as a JSON array in @extensions.
const SCOPE_SQL = `(
  i.calling_user IN (SELECT value FROM json_each(@extensions))
  OR i.called_user IN (SELECT value FROM json_each(@extensions))
  OR EXISTS (SELECT 1 FROM participants sp
             WHERE sp.interaction_id = i.id AND sp.aor_user IN (SELECT value FROM json_each(@extensions))))`;

const PARTY_EXACT_SQL = `i.id IN (
  SELECT id FROM interactions
   WHERE calling_party IN (@p1, @p2, @p3) OR called_party IN (@p1, @p2, @p3)
      OR calling_user = @puser OR called_user = @puser
  UNION
  SELECT interaction_id FROM participants
   WHERE aor IN (@p1, @p2, @p3) OR aor_user = @puser OR name IN (@p1, @p2, @p3))`;

const PARTY_LIKE_SQL = `i.id IN (
  SELECT id FROM interactions
   WHERE calling_party LIKE @plike ESCAPE '\\' OR called_party LIKE @plike ESCAPE '\\'
      OR calling_user LIKE @plike ESCAPE '\\' OR called_user LIKE @plike ESCAPE '\\'
  UNION
  SELECT interaction_id FROM participants
   WHERE aor LIKE @plike ESCAPE '\\' OR aor_user LIKE @plike ESCAPE '\\' OR name LIKE @plike ESCAPE '\\')`;

/** Interactions with their participants, streams, files and tags. The recorder writes, the portal reads. */
export class InteractionsRepo {
  private readonly insertInteraction: Statement;
  private readonly insertParticipant: Statement;
  private readonly deleteParticipants: Statement;
  private readonly insertStream: Statement;
  private readonly upsertStream: Statement;
  private readonly updatePartiesStmt: Statement;
  private readonly finishStmt: Statement;
  private readonly upsertFile: Statement;
  private readonly setStatusStmt: Statement;
  private readonly participantsOf: Statement;
  private readonly streamsOf: Statement;
  private readonly filesOf: Statement;
  private readonly tagsOf: Statement;
  private readonly correlationOf: Statement;
  private readonly eventsOf: Statement;
  private readonly insertTag: Statement;
  private readonly deleteTag: Statement;
  /** Filtered queries vary in shape; each shape is prepared once, on first use. */
  private readonly shaped = new Map<string, Statement>();
  private readonly createTx: (n: NewInteraction) => string;
  private readonly updatePartiesTx: (id: string, p: PartiesUpdate) => void;
  private readonly finishTx: (id: string, f: FinishInfo) => void;
  private readonly links: UserLinks;
  private readonly search: SearchIndex;
  private readonly targetsOf: Statement;
  private readonly notesOf: Statement;
  private readonly setAnswerStmt: Statement;
  private readonly insertNote: Statement;
  private readonly deleteNoteStmt: Statement;

  constructor(private readonly db: Database) {
    this.insertInteraction = db.prepare(`INSERT INTO interactions
      (id, call_id, session_id, start_time, direction, calling_party, calling_user, called_party, called_user,
       status, src, party_rule, updated_at, expires_at, call_type)
      VALUES (@id, @callId, @sessionId, @startTime, @direction, @callingParty, @callingUser, @calledParty, @calledUser,
       'recording', @src, @partyRule, @now, @expiresAt, @callType)`);
    this.links = new UserLinks(db);
    this.search = new SearchIndex(db);
    this.targetsOf = db.prepare(`SELECT l.interaction_id, l.user_id, u.username, l.direction, u.legal_hold_since
      FROM interaction_users l JOIN users u ON u.id = l.user_id
      WHERE l.interaction_id IN (SELECT value FROM json_each(?)) ORDER BY l.interaction_id, l.user_id`);
    this.notesOf = db.prepare(`SELECT id, interaction_id, author_id, author_name, text, created_at FROM interaction_notes
      WHERE interaction_id IN (SELECT value FROM json_each(?)) ORDER BY interaction_id, id`);
    this.setAnswerStmt = db.prepare('UPDATE interactions SET answer_time = ?, updated_at = ? WHERE id = ?');
    this.insertNote = db.prepare(`INSERT INTO interaction_notes (interaction_id, author_id, author_name, text, created_at)
      VALUES (?, ?, ?, ?, ?)`);
    this.deleteNoteStmt = db.prepare('DELETE FROM interaction_notes WHERE id = ? AND interaction_id = ?');
    this.insertParticipant = db.prepare(`INSERT INTO participants
      (interaction_id, ord, participant_id, name, aor, aor_user, role)
      VALUES (@interactionId, @ord, @participantId, @name, @aor, @aorUser, @role)`);
    this.deleteParticipants = db.prepare('DELETE FROM participants WHERE interaction_id = ?');
    this.insertStream = db.prepare(`INSERT INTO streams (interaction_id, label, participant_id, channel, mixed, codec)
      VALUES (@interactionId, @label, @participantId, @channel, @mixed, @codec)`);
    this.upsertStream = db.prepare(`INSERT INTO streams
      (interaction_id, label, participant_id, channel, mixed, codec, packets, lost, jitter_ms,
       expected, loss_rate, max_loss_rate_20s, duplicates, reordered, late, jitter_max_ms, concealed_ms, concealed_ratio, est_mos)
      VALUES (@interactionId, @label, @participantId, @channel, @mixed, @codec, @packets, @lost, @jitterMs,
       @expected, @lossRate, @maxLossRate20s, @duplicates, @reordered, @late, @jitterMaxMs, @concealedMs, @concealedRatio, @estMos)
      ON CONFLICT (interaction_id, label) DO UPDATE SET
        participant_id = COALESCE(excluded.participant_id, streams.participant_id),
        channel = excluded.channel, mixed = excluded.mixed, codec = COALESCE(excluded.codec, streams.codec), packets = excluded.packets,
        lost = excluded.lost, jitter_ms = excluded.jitter_ms, expected = excluded.expected, loss_rate = excluded.loss_rate,
        max_loss_rate_20s = excluded.max_loss_rate_20s, duplicates = excluded.duplicates, reordered = excluded.reordered,
        late = excluded.late, jitter_max_ms = excluded.jitter_max_ms, concealed_ms = excluded.concealed_ms,
        concealed_ratio = excluded.concealed_ratio, est_mos = excluded.est_mos`);
    this.updatePartiesStmt = db.prepare(`UPDATE interactions SET calling_party = @callingParty,
      calling_user = @callingUser, called_party = @calledParty, called_user = @calledUser,
      direction = @direction, party_rule = @partyRule, updated_at = @now WHERE id = @id`);
    this.finishStmt = db.prepare(`UPDATE interactions SET end_time = @endTime,
      duration_ms = max(0, @endTime - start_time), release_cause = @releaseCause, status = @status,
      partial = @partial, failure_reason = @failureReason, updated_at = @now WHERE id = @id`);
    this.upsertFile = db.prepare(`INSERT INTO media_files
      (interaction_id, format, key, bytes, sha256, sample_rate, channels, duration_ms, created_at, location, stored_at)
      VALUES (@interactionId, @format, @key, @bytes, @sha256, @sampleRate, @channels, @durationMs, @now, @location, @storedAt)
      ON CONFLICT (interaction_id, format) DO UPDATE SET key = excluded.key, bytes = excluded.bytes,
        sha256 = excluded.sha256, sample_rate = excluded.sample_rate, channels = excluded.channels,
        duration_ms = excluded.duration_ms, created_at = excluded.created_at,
        location = excluded.location, stored_at = excluded.stored_at`);
    this.setStatusStmt = db.prepare('UPDATE interactions SET status = ?, updated_at = ? WHERE id = ?');
    const ids = 'interaction_id IN (SELECT value FROM json_each(?))';
    this.participantsOf = db.prepare(
      `SELECT interaction_id, participant_id, name, aor, role FROM participants WHERE ${ids} ORDER BY interaction_id, ord`,
    );
    this.streamsOf = db.prepare(
      `SELECT interaction_id, label, participant_id, channel, mixed, codec, packets, lost, jitter_ms,
              expected, loss_rate, max_loss_rate_20s, duplicates, reordered, late, jitter_max_ms,
              concealed_ms, concealed_ratio, est_mos
         FROM streams WHERE ${ids} ORDER BY interaction_id, channel, label`,
    );
    this.filesOf = db.prepare(
      `SELECT interaction_id, format, key, bytes, sha256, sample_rate, channels, duration_ms, location
         FROM media_files WHERE ${ids} ORDER BY interaction_id, format`,
    );
    this.correlationOf = db.prepare(`SELECT interaction_id, kind, value FROM correlation_ids WHERE ${ids} ORDER BY interaction_id, kind`);
    this.eventsOf = db.prepare(
      `SELECT e.interaction_id, e.at, e.kind, e.details, i.start_time FROM interaction_events e
         JOIN interactions i ON i.id = e.interaction_id WHERE e.${ids} ORDER BY e.interaction_id, e.seq`,
    );
    this.tagsOf = db.prepare(`SELECT interaction_id, tag FROM interaction_tags WHERE ${ids} ORDER BY interaction_id, tag`);
    this.insertTag = db.prepare('INSERT OR IGNORE INTO interaction_tags (interaction_id, tag) VALUES (?, ?)');
    this.deleteTag = db.prepare('DELETE FROM interaction_tags WHERE interaction_id = ? AND tag = ?');

    this.createTx = db.transaction((n: NewInteraction) => {
      const id = newInteractionId(n.startTime);
      const startMs = toMs(n.startTime, 'startTime');
      const days = n.retentionDays ?? 0;
      if (!(Number.isInteger(days) && days >= 0)) throw new InvalidInputError('retentionDays must be a whole number of days, 0 or more');
      this.insertInteraction.run({
        expiresAt: days > 0 ? startMs + days * DAY_MS : null,
        callType: n.callType ?? null,
        id,
        callId: n.callId,
        sessionId: n.sessionId,
        startTime: toMs(n.startTime, 'startTime'),
        direction: n.direction,
        callingParty: n.callingParty,
        callingUser: aorUserPart(n.callingParty),
        calledParty: n.calledParty,
        calledUser: aorUserPart(n.calledParty),
        src: n.src,
        partyRule: n.partyRule,
        now: Date.now(),
      });
      this.writeParticipants(id, n.participants);
      for (const s of n.streams) {
        this.insertStream.run({
          interactionId: id,
          label: s.label,
          participantId: s.participantId,
          channel: s.channel,
          mixed: s.mixed ? 1 : 0,
          codec: s.codec,
        });
      }
      this.links.link(id);
      this.search.refresh(id, true);
      return id;
    });
    this.updatePartiesTx = db.transaction((id: string, p: PartiesUpdate) => {
      const r = this.updatePartiesStmt.run({
        id,
        callingParty: p.callingParty,
        callingUser: aorUserPart(p.callingParty),
        calledParty: p.calledParty,
        calledUser: aorUserPart(p.calledParty),
        direction: p.direction,
        partyRule: p.partyRule,
        now: Date.now(),
      });
      if (r.changes === 0) throw new NotFoundError(`interaction ${id} not found`);
      this.deleteParticipants.run(id);
      this.writeParticipants(id, p.participants);
      this.links.link(id);
      this.search.refresh(id);
    });
    this.finishTx = db.transaction((id: string, f: FinishInfo) => {
      const r = this.finishStmt.run({
        id,
        endTime: toMs(f.endTime, 'endTime'),
        releaseCause: f.releaseCause,
        status: f.status,
        partial: f.partial ? 1 : 0,
        failureReason: f.failureReason ?? null,
        now: Date.now(),
      });
      if (r.changes === 0) throw new NotFoundError(`interaction ${id} not found`);
      for (const s of f.streams) {
        this.upsertStream.run({
          interactionId: id,
          label: s.label,
          participantId: s.participantId,
          channel: s.channel,
          mixed: s.mixed ? 1 : 0,
          codec: s.codec,
          packets: s.packets,
          lost: s.lost,
          jitterMs: s.jitterMs,
          expected: s.expected ?? 0,
          lossRate: s.lossRate ?? 0,
          maxLossRate20s: s.maxLossRate20s ?? 0,
          duplicates: s.duplicates ?? 0,
          reordered: s.reordered ?? 0,
          late: s.late ?? 0,
          jitterMaxMs: s.jitterMaxMs ?? 0,
          concealedMs: s.concealedMs ?? 0,
          concealedRatio: s.concealedRatio ?? 0,
          estMos: s.estMos ?? null,
        });
      }
    });
  }

  /** A new interaction in status 'recording', with its participants and streams; returns its id. */
  create(n: NewInteraction): string {
    return this.createTx(n);
  }

  /** Replaces the parties once the metadata (or a re-INVITE/UPDATE) decided them. */
  updateParties(id: string, p: PartiesUpdate): void {
    this.updatePartiesTx(id, p);
  }

  /** The call ended: end time, duration, release cause and the final per-stream statistics. */
  finish(id: string, f: FinishInfo): void {
    this.finishTx(id, f);
  }

  /** Records (or replaces) the stored file of one format. */
  attachFile(id: string, file: MediaFile): void {
    try {
      this.upsertFile.run({
        interactionId: id,
        format: file.format,
        key: file.key,
        bytes: file.bytes,
        sha256: file.sha256,
        sampleRate: file.sampleRate,
        channels: file.channels,
        durationMs: file.durationMs,
        now: Date.now(),
        location: file.location ?? 'target',
        storedAt: (file.location ?? 'target') === 'target' ? Date.now() : null,
      });
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
        throw new NotFoundError(`interaction ${id} not found`);
      }
      throw err;
    }
  }

  setStatus(id: string, status: InteractionStatus): void {
    if (this.setStatusStmt.run(status, Date.now(), id).changes === 0) {
      throw new NotFoundError(`interaction ${id} not found`);
    }
  }

  addTag(id: string, tag: string): void {
    const t = tag.trim();
    if (t === '' || t.length > 64) throw new InvalidInputError('a tag is 1 to 64 characters');
    this.insertTag.run(id, t);
  }

  removeTag(id: string, tag: string): void {
    this.deleteTag.run(id, tag.trim());
  }

  /** The interaction, or null when it does not exist or lies outside `scope` (indistinguishable). */
  get(id: string, scope: AccessScope): Interaction | null {
    const stmt = this.statement(`get:${scope.kind}`, () => {
      const where = ['i.id = @id'];
      where.push(...scopeWhere(scope));
      return `SELECT ${COLUMNS} FROM interactions i WHERE ${where.join(' AND ')}`;
    });
    const row = stmt.get({ id, ...scopeParams(scope) }) as InteractionRow | undefined;
    return row ? (this.hydrate([row], viewerOf(scope))[0] ?? null) : null;
  }

  /** Newest first, keyset-paged. */
  list(q: InteractionQuery, scope: AccessScope): Page<Interaction> {
    const limit = Math.trunc(q.limit);
    if (!(limit >= 1 && limit <= MAX_PAGE)) throw new InvalidInputError(`limit must be 1 to ${MAX_PAGE}`);
    const cursor = q.cursor !== undefined ? decodeCursor(q.cursor) : undefined;
    const party = q.party !== undefined && q.party.trim() !== '' ? partyMatch(q.party) : undefined;
    const params: Record<string, unknown> = { limit: limit + 1, ...scopeParams(scope) };
    const shape: string[] = ['list', scope.kind];
    const where: string[] = [];
    if (q.from) {
      shape.push('from');
      where.push('i.start_time >= @from');
      params.from = toMs(q.from, 'from');
    }
    if (q.to) {
      shape.push('to');
      where.push('i.start_time < @to');
      params.to = toMs(q.to, 'to');
    }
    if (q.callId !== undefined) {
      shape.push('callId');
      where.push('i.call_id = @callId');
      params.callId = q.callId;
    }
    if (q.correlationId !== undefined) {
      shape.push('corr');
      where.push(`(i.session_id = @corr OR i.call_id = @corr OR EXISTS
        (SELECT 1 FROM correlation_ids c WHERE c.interaction_id = i.id AND c.value = @corr))`);
      params.corr = q.correlationId;
    }
    if (q.status !== undefined) {
      shape.push('status');
      where.push('i.status = @status');
      params.status = q.status;
    }
    if (party?.kind === 'exact') {
      shape.push('party=');
      where.push(PARTY_EXACT_SQL);
      [params.p1, params.p2, params.p3] = party.values;
      params.puser = party.user;
    } else if (party?.kind === 'like') {
      // A leading wildcard cannot use an index at all: always per row.
      const common = party.pattern.startsWith('%') || this.countUpTo('partyPrefix', { plike: party.pattern }) >= COMMON_MATCHES;
      shape.push(common ? 'party~row' : 'party~index');
      where.push(common ? PARTY_LIKE_LAZY_SQL : PARTY_LIKE_SQL);
      params.plike = party.pattern;
    }
    for (const key of ['q', 'note'] as const) {
      const text = q[key];
      if (text === undefined || text.trim() === '') continue;
      params[key] = matchExpression(text, key, key === 'note' ? 'notes' : undefined);
      // Common words: the matches are checked per row of the newest-first walk (+rowid: not as
      // the driving lookup), instead of fetching and sorting every matching call.
      const common = this.countUpTo('fts', { match: params[key] }) >= COMMON_MATCHES;
      shape.push(common ? `${key}~row` : `${key}~index`);
      where.push(`${common ? '+' : ''}i.rowid IN (SELECT rowid FROM interactions_fts WHERE interactions_fts MATCH @${key})`);
    }
    if (q.tag !== undefined) {
      params.tag = q.tag.trim();
      const common = this.countUpTo('tag', { tag: params.tag }) >= COMMON_MATCHES;
      shape.push(common ? 'tag~row' : 'tag~index');
      where.push(common ? TAG_LAZY_SQL : 'i.id IN (SELECT interaction_id FROM interaction_tags WHERE tag = @tag)');
    }
    if (q.userId !== undefined) {
      shape.push('user');
      where.push('i.id IN (SELECT fu.interaction_id FROM interaction_users fu WHERE fu.user_id = @filterUser)');
      params.filterUser = q.userId;
    }
    if (q.unassigned) {
      shape.push('unassigned');
      where.push('NOT EXISTS (SELECT 1 FROM interaction_users nu WHERE nu.interaction_id = i.id)');
    }
    if (cursor) {
      shape.push('cursor');
      where.push('(i.start_time, i.id) < (@cStart, @cId)');
      params.cStart = cursor.startMs;
      params.cId = cursor.id;
    }
    where.push(...scopeWhere(scope));
    const stmt = this.statement(
      shape.join(','),
      () =>
        `SELECT ${COLUMNS} FROM interactions i ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY i.start_time DESC, i.id DESC LIMIT @limit`,
    );
    const rows = stmt.all(params) as InteractionRow[];
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1];
    return {
      items: this.hydrate(rows, q.userId ?? viewerOf(scope)),
      nextCursor: more && last ? encodeCursor({ startMs: last.start_time, id: last.id }) : null,
    };
  }

  /** Calls being recorded right now (status 'recording'), newest first. */
  active(scope: AccessScope): Interaction[] {
    const stmt = this.statement(`active:${scope.kind}`, () => {
      const where = [`i.status = 'recording'`];
      where.push(...scopeWhere(scope));
      return `SELECT ${COLUMNS} FROM interactions i WHERE ${where.join(' AND ')}
              ORDER BY i.start_time DESC, i.id DESC`;
    });
    return this.hydrate(stmt.all(scopeParams(scope)) as InteractionRow[], viewerOf(scope));
  }

  /**
   * What the recorder left unfinished (`recording` or `pending`), oldest first. Only meaningful
   * while no recorder runs: its start reads this to recover from a crash.
   */
  unfinished(): Interaction[] {
    const stmt = this.statement('unfinished', () => `SELECT ${COLUMNS} FROM interactions i
      WHERE i.status IN ('recording', 'pending') ORDER BY i.start_time, i.id`);
    return this.hydrate(stmt.all() as InteractionRow[]);
  }

  /** When the call was answered (seed 000 Answer Time), once the SRC tells. */
  setAnswerTime(id: string, at: Date): void {
    if (this.setAnswerStmt.run(toMs(at, 'answerTime'), Date.now(), id).changes === 0) {
      throw new NotFoundError(`interaction ${id} not found`);
    }
  }

  /**
   * Re-links the calls in which one of `extensions` appears (after a user was created or got
   * extensions), so that calls recorded before the account existed are assigned to it.
   */
  linkExtensions(extensions: string[]): number {
    return this.db.transaction(() => this.links.linkExtensions(extensions))();
  }

  /** Adds a note (seed 000 §1.15) and makes its words searchable; returns the note id. */
  addNote(id: string, n: NewNote): number {
    const text = typeof n.text === 'string' ? n.text.trim() : '';
    if (text === '' || text.length > 4000) throw new InvalidInputError('a note is 1 to 4000 characters');
    return this.db.transaction(() => {
      let noteId: number;
      try {
        noteId = Number(this.insertNote.run(id, n.authorId, n.author, text, Date.now()).lastInsertRowid);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw new NotFoundError(`interaction ${id} not found`);
        throw err;
      }
      this.search.refresh(id);
      return noteId;
    })();
  }

  removeNote(id: string, noteId: number): void {
    this.db.transaction(() => {
      if (this.deleteNoteStmt.run(noteId, id).changes === 0) throw new NotFoundError(`note ${noteId} not found`);
      this.search.refresh(id);
    })();
  }

  private writeParticipants(id: string, participants: Participant[]): void {
    participants.forEach((p, ord) => {
      this.insertParticipant.run({
        interactionId: id,
        ord,
        participantId: p.participantId,
        name: p.name,
        aor: p.aor,
        aorUser: aorUserPart(p.aor),
        role: p.role,
      });
    });
  }

  /** How many rows match a filter, counting no further than COMMON_MATCHES (index-only). */
  private countUpTo(kind: 'partyPrefix' | 'tag' | 'fts', params: Record<string, unknown>): number {
    const stmt = this.statement(`count:${kind}`, () =>
      kind === 'tag'
        ? `SELECT count(*) AS n FROM (SELECT 1 FROM interaction_tags WHERE tag = @tag LIMIT ${COMMON_MATCHES})`
        : kind === 'fts'
          ? `SELECT count(*) AS n FROM (SELECT rowid FROM interactions_fts WHERE interactions_fts MATCH @match LIMIT ${COMMON_MATCHES})`
          : `SELECT (SELECT count(*) FROM (SELECT 1 FROM interactions WHERE calling_user LIKE @plike ESCAPE '\\' LIMIT ${COMMON_MATCHES}))
                + (SELECT count(*) FROM (SELECT 1 FROM interactions WHERE called_user LIKE @plike ESCAPE '\\' LIMIT ${COMMON_MATCHES})) AS n`,
    );
    return (stmt.get(params) as { n: number }).n;
  }

  private statement(key: string, sql: () => string): Statement {
    let stmt = this.shaped.get(key);
    if (!stmt) {
      stmt = this.db.prepare(sql());
      this.shaped.set(key, stmt);
    }
    return stmt;
  }

  /** Rows to Interactions: one query per child table for the whole page. */
  private hydrate(rows: InteractionRow[], viewer: number | null = null): Interaction[] {
    if (rows.length === 0) return [];
    const ids = JSON.stringify(rows.map((r) => r.id));
    const byId = new Map<string, Interaction>();
    const out = rows.map((r) => {
      const it: Interaction = {
        id: r.id,
        callId: r.call_id,
        sessionId: r.session_id,
        startTime: new Date(r.start_time).toISOString(),
        endTime: r.end_time === null ? null : new Date(r.end_time).toISOString(),
        durationMs: r.duration_ms,
        direction: r.direction,
        callingParty: r.calling_party,
        calledParty: r.called_party,
        participants: [],
        status: r.status,
        releaseCause: r.release_cause,
        partial: r.partial === 1,
        failureReason: r.failure_reason,
        src: r.src,
        streams: [],
        tags: [],
        files: [],
        partyRule: r.party_rule,
        correlationIds: {},
        events: [],
        answerTime: r.answer_time === null ? null : new Date(r.answer_time).toISOString(),
        callType: r.call_type,
        originalCallId: r.session_id,
        expiresAt: r.expires_at === null ? null : new Date(r.expires_at).toISOString(),
        legalHold: r.legal_hold_since !== null,
        legalHoldSince: r.legal_hold_since === null ? null : new Date(r.legal_hold_since).toISOString(),
        deletedAt: r.deleted_at === null ? null : new Date(r.deleted_at).toISOString(),
        deletedReason: r.deleted_reason,
        targets: [],
        notes: [],
      };
      byId.set(r.id, it);
      return it;
    });
    for (const p of this.participantsOf.all(ids) as ParticipantRow[]) {
      byId.get(p.interaction_id)?.participants.push({
        participantId: p.participant_id,
        name: p.name,
        aor: p.aor,
        role: p.role,
      });
    }
    for (const s of this.streamsOf.all(ids) as StreamRow[]) {
      byId.get(s.interaction_id)?.streams.push({
        label: s.label,
        participantId: s.participant_id,
        channel: s.channel,
        mixed: s.mixed === 1,
        codec: s.codec,
        packets: s.packets,
        lost: s.lost,
        jitterMs: s.jitter_ms,
        expected: s.expected,
        lossRate: s.loss_rate,
        maxLossRate20s: s.max_loss_rate_20s,
        duplicates: s.duplicates,
        reordered: s.reordered,
        late: s.late,
        jitterMaxMs: s.jitter_max_ms,
        concealedMs: s.concealed_ms,
        concealedRatio: s.concealed_ratio,
        estMos: s.est_mos,
      });
    }
    for (const c of this.correlationOf.all(ids) as Array<{ interaction_id: string; kind: string; value: string }>) {
      const it = byId.get(c.interaction_id);
      if (it) it.correlationIds[c.kind] = c.value;
    }
    for (const e of this.eventsOf.all(ids) as Array<{ interaction_id: string; at: number; kind: string; details: string | null; start_time: number }>) {
      byId.get(e.interaction_id)?.events.push({
        at: new Date(e.at).toISOString(),
        offsetMs: e.at - e.start_time,
        kind: e.kind,
        details: e.details === null ? null : (JSON.parse(e.details) as Record<string, unknown>),
      });
    }
    for (const f of this.filesOf.all(ids) as FileRow[]) {
      byId.get(f.interaction_id)?.files.push({
        format: f.format,
        key: f.key,
        bytes: f.bytes,
        sha256: f.sha256,
        sampleRate: f.sample_rate,
        channels: f.channels,
        durationMs: f.duration_ms,
        location: f.location,
      });
    }
    for (const t of this.tagsOf.all(ids) as Array<{ interaction_id: string; tag: string }>) {
      byId.get(t.interaction_id)?.tags.push(t.tag);
    }
    type TargetRow = { interaction_id: string; user_id: number; username: string; direction: Direction; legal_hold_since: number | null };
    for (const t of this.targetsOf.all(ids) as TargetRow[]) {
      const it = byId.get(t.interaction_id);
      if (!it) continue;
      it.targets.push({ userId: t.user_id, username: t.username, direction: t.direction, legalHold: t.legal_hold_since !== null });
      if (t.legal_hold_since !== null) it.legalHold = true;
      // Direction is relative to the targeted user looking at (or filtered for) the call.
      if (viewer !== null && t.user_id === viewer) it.direction = t.direction;
    }
    type NoteRow = { id: number; interaction_id: string; author_id: number | null; author_name: string | null; text: string; created_at: number };
    for (const n of this.notesOf.all(ids) as NoteRow[]) {
      byId.get(n.interaction_id)?.notes.push({
        id: n.id,
        authorId: n.author_id,
        author: n.author_name,
        text: n.text,
        createdAt: new Date(n.created_at).toISOString(),
      });
    }
    for (const it of out) it.originalCallId = originalCallId(it);
    return out;
  }
}

function scopeParams(scope: AccessScope): Record<string, unknown> {
  if (scope.kind === 'extensions') return { extensions: JSON.stringify(scope.extensions) };
  if (scope.kind === 'user') return { scopeUser: scope.userId };
  return {};
}

function scopeWhere(scope: AccessScope): string[] {
  if (scope.kind === 'extensions') return [SCOPE_SQL];
  if (scope.kind === 'user') return [USER_SCOPE_SQL];
  return [];
}

function viewerOf(scope: AccessScope): number | null {
  return scope.kind === 'user' ? scope.userId : null;
}

/** Seed 000 Original Call ID: the CS identifier the SRC gave, else the recording session's id. */
function originalCallId(it: Interaction): string | null {
  const c = it.correlationIds;
  return c.sipsessionid ?? c.callid ?? c['x-audc-call-id'] ?? it.sessionId;
}

function toMs(d: Date, what: string): number {
  const ms = d instanceof Date ? d.getTime() : NaN;
  if (!Number.isFinite(ms)) throw new InvalidInputError(`${what} is not a valid date`);
  return ms;
}
