import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { MAX_PAGE, type InteractionQuery } from '../../storage/catalog/index.js';
import type { PortalContext } from '../context.js';
import { HttpError } from '../errors.js';
import { authOf } from '../auth/session-auth.js';
import { DateTime, Nullable, StringEnum, errors } from './common.js';

const Status = StringEnum(['recording', 'pending', 'available', 'failed', 'deleted'], {
  description: 'recording: call in progress; pending: call ended, file being stored; available: playable',
});

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
});

export const InteractionId = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{24}$' }) });

const ListQuery = Type.Object(
  {
    from: Type.Optional(DateTime('Start time at or after (ISO 8601 with zone)')),
    to: Type.Optional(DateTime('Start time before (ISO 8601 with zone)')),
    party: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        description:
          'Calling/called party or participant AoR or name, case-insensitive. `732` matches the number or ' +
          'the user part of an AoR exactly, `732*` by prefix, `*Bill` by suffix.',
      }),
    ),
    callId: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'Exact SIP Call-ID' })),
    correlationId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 512, description: 'Exact session id, Call-ID or any correlation id the SRC sent (UCID, GCID, ...)' }),
    ),
    status: Type.Optional(Status),
    limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 50 }),
    cursor: Type.Optional(
      Type.String({ maxLength: 200, pattern: '^[A-Za-z0-9_-]+$', description: 'nextCursor of the previous page' }),
    ),
  },
  { additionalProperties: false },
);

/** Search and detail of recorded interactions, limited to what the caller's role may see. */
export const interactionRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  app.get(
    '/interactions',
    {
      config: { permission: 'interactions:read' },
      schema: {
        tags: ['interactions'],
        summary: 'Search interactions',
        description: 'Newest first. Page with `cursor` = the `nextCursor` of the previous answer (null on the last page).',
        querystring: ListQuery,
        response: {
          200: Type.Object({ items: Type.Array(InteractionSchema), nextCursor: Nullable(Type.String()) }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const query: InteractionQuery = { limit: q.limit };
      if (q.from !== undefined) query.from = new Date(q.from);
      if (q.to !== undefined) query.to = new Date(q.to);
      if (q.party !== undefined) query.party = q.party;
      if (q.callId !== undefined) query.callId = q.callId;
      if (q.correlationId !== undefined) query.correlationId = q.correlationId;
      if (q.status !== undefined) query.status = q.status;
      if (q.cursor !== undefined) query.cursor = q.cursor;
      return ctx.catalog.interactions.list(query, authOf(request).scope);
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
      return it;
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
};
