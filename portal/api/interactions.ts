import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CALL_TYPES, LegalHoldError } from '../../storage/catalog/index.js';
import { audit, type PortalContext } from '../context.js';
import { deleteRecording } from '../jobs/retention.js';
import { HttpError } from '../errors.js';
import { authOf } from '../auth/session-auth.js';
import { DateTime, Nullable, StringEnum, errors } from './common.js';
import { ListQuery, Status, toInteractionQuery, withLiveDuration } from './interaction-filter.js';

const Participant = Type.Object({
  participantId: Type.String(),
  name: Nullable(Type.String()),
  aor: Nullable(Type.String({ description: 'Address of record as the SRC sent it (may lack the sip: scheme)' })),
  role: StringEnum(['calling', 'called', 'other']),
});

const Stream = Type.Object({
  label: Type.String({ description: 'SDP a=label' }),
  participantId: Nullable(Type.String()),
  channel: Type.Integer({ minimum: 0, maximum: 1, description: '0 = left (calling party), 1 = right (called party)' }),
  mixed: Type.Boolean({ description: 'The SRC sent the parties already mixed in this stream: it is written to both channels' }),
  codec: Nullable(Type.String()),
  packets: Type.Integer({ description: 'RTP packets received (duplicates not counted)' }),
  lost: Type.Integer({ description: 'expected - received (RFC 3550 A.3), per sender (SSRC)' }),
  jitterMs: Type.Number({ description: 'RFC 3550 interarrival jitter averaged over the stream, ms' }),
  // Quality of the recording leg (SRC -> recorder): how complete the recording is, not what the parties heard.
  expected: Type.Integer({ description: 'Packets the sequence numbers say were sent' }),
  lossRate: Type.Number({ description: 'lost / expected, 0..1' }),
  maxLossRate20s: Type.Number({ description: 'Worst loss rate over 20 s windows, 0..1' }),
  duplicates: Type.Integer(),
  reordered: Type.Integer({ description: 'Packets that arrived after one with a higher sequence number' }),
  late: Type.Integer({ description: 'Packets that arrived after their place in the recording was written (discarded)' }),
  jitterMaxMs: Type.Number({ description: 'Highest RFC 3550 jitter estimate during the stream, ms' }),
  concealedMs: Type.Integer({ description: 'Audio synthesised for lost or late packets, ms' }),
  concealedRatio: Type.Number({ description: 'Concealed samples / samples the stream wrote, 0..1' }),
  estMos: Nullable(Type.Number({ description: 'Estimated MOS (ITU-T G.107 E-model from codec, loss and jitter) of the recording leg; null without packets' })),
});

const MediaFile = Type.Object({
  format: StringEnum(['wav', 'mp3']),
  bytes: Type.Integer(),
  sha256: Type.String(),
  sampleRate: Type.Integer(),
  channels: Type.Integer(),
  durationMs: Type.Integer(),
  location: Type.Optional(StringEnum(['spool', 'target'], { description: 'spool: waiting in the recorder spool for its upload (playable); target: stored and verified in the storage target' })),
});

const Target = Type.Object({
  userId: Type.Integer(),
  username: Type.String(),
  direction: StringEnum(['Incoming', 'Outgoing', 'None'], { description: 'Direction seen from this user' }),
  legalHold: Type.Boolean({ description: 'The user is on legal hold (so is this call)' }),
});

const Note = Type.Object({
  id: Type.Integer(),
  authorId: Nullable(Type.Integer()),
  author: Nullable(Type.String()),
  text: Type.String(),
  createdAt: DateTime(),
});

const Event = Type.Object({
  at: DateTime(),
  offsetMs: Type.Integer({ description: 'Milliseconds from the start of the interaction' }),
  kind: Type.String({ description: 'pause, resume, metadata, media-change, refresh, ...' }),
  details: Nullable(Type.Object({}, { additionalProperties: true })),
});

const MetadataVersion = Type.Object({
  version: Type.Integer({ minimum: 1 }),
  receivedAt: DateTime(),
  method: Type.String({ description: 'The SIP request that carried it' }),
  dataMode: Nullable(Type.String()),
  xml: Type.String({ description: 'The rs-metadata document exactly as received' }),
});

export const InteractionSchema = Type.Object({
  id: Type.String({ pattern: '^[0-9a-f]{24}$' }),
  callId: Type.String({ description: 'SIP Call-ID of the recording session' }),
  sessionId: Nullable(Type.String({ description: 'SIPREC session id or CS correlation id' })),
  startTime: DateTime(),
  endTime: Nullable(DateTime()),
  durationMs: Nullable(Type.Integer()),
  direction: StringEnum(['Incoming', 'Outgoing', 'None']),
  callingParty: Nullable(Type.String()),
  calledParty: Nullable(Type.String()),
  participants: Type.Array(Participant),
  status: Status,
  releaseCause: Nullable(StringEnum(['Normal', 'Failure', 'Missed', 'Abandoned', 'Transferred'])),
  partial: Type.Boolean({
    description:
      'The recording ends before the call did: the recorder stopped mid-call (crash, power loss) and stored ' +
      'the audio written up to then at its next start (releaseCause Failure, endTime = start + audio length)',
  }),
  failureReason: Nullable(
    Type.String({ description: 'Why the interaction failed or its recording stopped early, e.g. "No RTP received"; null when nothing went wrong' }),
  ),
  src: Type.String({ description: 'The SRC as seen on the wire, e.g. udp:10.0.0.5:5060' }),
  streams: Type.Array(Stream),
  tags: Type.Array(Type.String()),
  files: Type.Array(MediaFile, { description: 'Stored recordings; fetch them from /interactions/{id}/media' }),
  partyRule: Nullable(Type.String({ description: 'Which metadata rule decided calling/called party' })),
  correlationIds: Type.Record(Type.String(), Type.String(), {
    description: 'Correlation ids from the SRC: sipsessionid, ucid, gcid, callid, exttrackingid, x-audc-call-id ...',
  }),
  events: Type.Array(Event),
  answerTime: Nullable(DateTime('Seed 000 Answer Time; null until the SRC signals it')),
  callType: Nullable(StringEnum([...CALL_TYPES])),
  originalCallId: Nullable(Type.String({ description: 'Seed 000 Original Call ID (SysCallId): the CS id from the SRC' })),
  expiresAt: Nullable(DateTime('Seed 000 Call Expiration: start + retention days; null = kept forever')),
  legalHold: Type.Boolean({ description: 'Held by its own legal hold or a target user\'s: never purged or deleted' }),
  legalHoldSince: Nullable(DateTime('Since when this recording itself is held')),
  deletedAt: Nullable(DateTime('Set on a tombstone (status deleted)')),
  deletedReason: Nullable(StringEnum(['retention', 'manual'])),
  targets: Type.Array(Target, {
    description:
      'The users the call is linked to (seed 000 "one row per targeted user"), each with its own Direction. ' +
      'Empty: unassigned, visible to administrators only. `direction` above is the one of the user looking ' +
      '(or of the `user` filter), else the first target\'s, else None.',
  }),
  notes: Type.Array(Note),
});

export const InteractionId = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{24}$' }) });

/** Search and detail of recorded interactions, limited to what the caller's role may see. */
export const interactionRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  app.get(
    '/interactions',
    {
      config: { permission: 'interactions:read' },
      schema: {
        tags: ['interactions'],
        summary: 'Search interactions',
        description:
          'Newest first unless `sort`/`order` say otherwise. Page with `cursor` = the `nextCursor` of the previous answer ' +
          '(null on the last page), with the same filter and sort. Filters combine with AND; repeated values of one filter with OR. ' +
          'A new search (no cursor) is audited as interactions.search.',
        querystring: ListQuery,
        response: {
          200: Type.Object({ items: Type.Array(InteractionSchema), nextCursor: Nullable(Type.String()) }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const auth = authOf(request);
      const page = ctx.catalog.interactions.list(toInteractionQuery(filter, auth, { limit, cursor }, (g) => ctx.catalog.groups.get(g)?.members ?? []), auth.scope);
      // One audit row per search, not per page turned.
      if (cursor === undefined) audit(ctx, request, 'interactions.search', null, { item: 'Interactions', filter, results: page.items.length });
      withLiveDuration(page.items);
      return page;
    },
  );

  app.get(
    '/interactions/:id',
    {
      config: { permission: 'interactions:read' },
      schema: {
        tags: ['interactions'],
        summary: 'One interaction',
        description: '404 when it does not exist or is outside what the caller may see.',
        params: InteractionId,
        response: { 200: InteractionSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const it = ctx.catalog.interactions.get(request.params.id, authOf(request).scope);
      if (!it) throw new HttpError(404, 'interaction not found');
      audit(ctx, request, 'interaction.view', it.id, { item: 'Call' });
      return withLiveDuration([it])[0]!;
    },
  );

  app.get(
    '/interactions/:id/metadata',
    {
      config: { permission: 'interactions:read' },
      schema: {
        tags: ['interactions'],
        summary: 'Every version of the recording metadata',
        description: 'The rs-metadata XML of the INVITE and of every later UPDATE, re-INVITE or BYE, verbatim, oldest first.',
        params: InteractionId,
        response: { 200: Type.Object({ items: Type.Array(MetadataVersion) }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const it = ctx.catalog.interactions.get(request.params.id, authOf(request).scope);
      if (!it) throw new HttpError(404, 'interaction not found');
      return { items: ctx.catalog.history.metadata(it.id) };
    },
  );

  app.put(
    '/interactions/:id/legal-hold',
    {
      config: { permission: 'legalhold:write' },
      schema: {
        tags: ['interactions'],
        summary: 'Place a recording on legal hold',
        description: 'Administrators. A held recording is never purged or deleted; its expiry does not change. Audited (item "Legal Hold").',
        params: InteractionId,
        response: { 200: HoldAnswer, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => setHold(request, true),
  );

  app.delete(
    '/interactions/:id/legal-hold',
    {
      config: { permission: 'legalhold:write' },
      schema: {
        tags: ['interactions'],
        summary: 'Release the legal hold of a recording',
        description: 'When its expiry has passed (and no user hold covers it) the next purge removes it. Audited.',
        params: InteractionId,
        response: { 200: HoldAnswer, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => setHold(request, false),
  );

  function setHold(request: { params: { id: string } } & Parameters<typeof audit>[1], on: boolean) {
    const { id } = request.params;
    // Only calls the caller may see: an id outside its scope is as unknown as a wrong one.
    if (!ctx.catalog.interactions.get(id, authOf(request).scope)) throw new HttpError(404, 'interaction not found');
    const changed = ctx.catalog.retention.setRecordingHold(id, on ? new Date() : null);
    if (changed) audit(ctx, request, on ? 'legalhold.on' : 'legalhold.off', id, { item: 'Legal Hold', scope: 'recording' });
    const it = ctx.catalog.interactions.get(id, { kind: 'all' });
    if (!it) throw new HttpError(404, 'interaction not found');
    return {
      id,
      legalHold: it.legalHold,
      legalHoldSince: it.legalHoldSince,
      message: on ? 'The recording has been successfully placed in legal hold.' : 'The recording has been successfully removed from legal hold.',
    };
  }

  app.delete(
    '/interactions/:id',
    {
      config: { permission: 'interactions:delete' },
      schema: {
        tags: ['interactions'],
        summary: 'Delete a recording (seed 000 "Delete Calls")',
        description:
          '`mode` metadataAndMedia ("Delete calls\'s metadata and media") or media ("Delete calls\'s media"). ' +
          '"Authorized By" and a note are required and audited. 409 while the recording or a user it belongs to is ' +
          'on legal hold. The media leaves the storage target; a tombstone (status deleted) stays.',
        params: InteractionId,
        body: Type.Object(
          {
            mode: StringEnum(['metadataAndMedia', 'media']),
            authorizedBy: Type.String({ minLength: 1, maxLength: 128, description: 'Authorized By: the operator approving the deletion' }),
            note: Type.String({ minLength: 1, maxLength: 1000, description: 'Why the recording is deleted' }),
          },
          { additionalProperties: false },
        ),
        response: { 200: InteractionSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { mode, authorizedBy, note } = request.body;
      if (authorizedBy.trim() === '' || note.trim() === '') throw new HttpError(400, 'authorizedBy and note must not be blank');
      const it = ctx.catalog.interactions.get(id, authOf(request).scope);
      if (!it) throw new HttpError(404, 'interaction not found');
      if (it.status === 'deleted' && mode === 'media') return it;
      if (it.status === 'recording' || it.status === 'pending') {
        throw new HttpError(409, `the call is still ${it.status === 'recording' ? 'being recorded' : 'being stored'}; delete it once it is available`);
      }
      const details = { item: 'Call', mode, authorizedBy: authorizedBy.trim(), note: note.trim() };
      try {
        const { files } = await deleteRecording(ctx.catalog, { target: ctx.mediaStore, spoolDir: ctx.spoolDir }, { id, mode, authorizedBy, note, now: new Date() });
        audit(ctx, request, 'interaction.delete', id, { ...details, files, target: ctx.mediaStore.name });
      } catch (err) {
        if (err instanceof LegalHoldError) {
          audit(ctx, request, 'interaction.delete.refused', id, { ...details, reason: 'legal hold' });
          throw new HttpError(409, err.message);
        }
        throw err;
      }
      return ctx.catalog.interactions.get(id, { kind: 'all' })!;
    },
  );
};

export const HoldAnswer = Type.Object({
  id: Type.Union([Type.String(), Type.Integer()]),
  legalHold: Type.Boolean(),
  legalHoldSince: Nullable(DateTime()),
  message: Type.String({ description: 'The seed\'s confirmation text' }),
});
