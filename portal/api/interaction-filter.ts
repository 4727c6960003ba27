import { Type, type Static } from '@sinclair/typebox';
import { CALL_TYPES, MAX_PAGE, SORT_KEYS, type Interaction, type InteractionQuery } from '../../storage/catalog/index.js';
import type { AuthContext } from '../auth/session-auth.js';
import { DateTime, StringEnum } from './common.js';

// The seed 000 §1.7 filters of the interaction list, as one schema shared by the list, active
// calls, saved searches and the CSV export, so that a saved search or an export means exactly
// what the list shows. Every field is bounded: long or malformed values are refused with a
// message naming the field before any SQL runs; values only ever reach SQL as bound parameters.

const PARTY_RULE =
  '`732` matches the number (or the user part of an address) or display name exactly, `732*` by prefix, ' +
  '`*Bill` anything containing Bill; case-insensitive.';
const Party = (description: string) => Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: `${description} ${PARTY_RULE}` }));
const Many = <T extends ReturnType<typeof StringEnum>>(item: T, description: string) =>
  Type.Optional(Type.Array(item, { minItems: 1, maxItems: 50, description: `${description} Repeat the parameter for several (any of them).` }));

export const Status = StringEnum(['recording', 'pending', 'available', 'failed', 'deleted'], {
  description: 'recording: call in progress; pending: call ended, file being stored; available: playable',
});

export const filterProperties = {
  from: Type.Optional(DateTime('Start time at or after (ISO 8601 with zone)')),
  to: Type.Optional(DateTime('Start time before (ISO 8601 with zone)')),
  party: Party('Calling/called party or any participant address or name.'),
  callingParty: Party('Seed 000 "Calling Party".'),
  calledParty: Party('Seed 000 "Called Party".'),
  answeringParty: Party('Seed 000 "Answering Party": the called party of an answered call (not Missed or Abandoned).'),
  participant: Party('Seed 000 "Participants": any participant\'s name or address.'),
  callId: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'Exact SIP Call-ID' })),
  correlationId: Type.Optional(
    Type.String({ minLength: 1, maxLength: 512, description: 'Exact session id, Call-ID or any correlation id the SRC sent (UCID, GCID, ...)' }),
  ),
  status: Many(Status, 'Seed 000 "Call Status".'),
  direction: Many(StringEnum(['Incoming', 'Outgoing', 'None']), 'Seed 000 "Call Direction", seen from the targeted user.'),
  releaseCause: Many(StringEnum(['Normal', 'Failure', 'Missed', 'Abandoned', 'Transferred']), 'Seed 000 "Release Cause".'),
  callType: Many(StringEnum([...CALL_TYPES]), 'Seed 000 "Call Type".'),
  q: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'Full-text search over parties (numbers, names, addresses) and notes: every word must match, `word*` by prefix',
    }),
  ),
  note: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Seed 000 "Notes": whole words that must all appear in the notes' })),
  tag: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 50, description: 'Seed 000 "Call Tags": calls carrying any of these tags' }),
  ),
  user: Type.Optional(
    Type.Array(Type.Integer({ minimum: 1 }), {
      minItems: 1,
      maxItems: 50,
      description: 'Seed 000 "Users and Groups" (users): calls linked to any of these user ids (Direction shown relative to the first)',
    }),
  ),
  group: Type.Optional(
    Type.Array(Type.Integer({ minimum: 1 }), {
      minItems: 1,
      maxItems: 50,
      description: 'Seed 000 "Users and Groups" (groups): calls linked to any member of these groups (with `user`: either)',
    }),
  ),
  mine: Type.Optional(Type.Boolean({ description: '"My calls": only calls linked to the caller' })),
  unassigned: Type.Optional(Type.Boolean({ description: 'Only calls linked to no user (administrators)' })),
  minDuration: Type.Optional(Type.Integer({ minimum: 0, maximum: 31_536_000, description: 'Duration at least this many seconds' })),
  maxDuration: Type.Optional(Type.Integer({ minimum: 0, maximum: 31_536_000, description: 'Duration at most this many seconds' })),
  sort: Type.Optional(StringEnum([...SORT_KEYS], { description: 'Column to sort by (default startTime)' })),
  order: Type.Optional(StringEnum(['asc', 'desc'], { description: 'Default desc' })),
};

export const InteractionFilter = Type.Object(filterProperties, { additionalProperties: false });
export type InteractionFilter = Static<typeof InteractionFilter>;

export const ListQuery = Type.Object(
  {
    ...filterProperties,
    limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 50 }),
    cursor: Type.Optional(
      Type.String({ maxLength: 1000, pattern: '^[A-Za-z0-9_-]+$', description: 'nextCursor of the previous page (same filter and sort)' }),
    ),
  },
  { additionalProperties: false },
);

/** The catalog query for an API filter, as the caller asks it (the caller's scope is applied by the catalog). */
export function toInteractionQuery(
  f: InteractionFilter,
  auth: AuthContext,
  page: { limit: number; cursor?: string | undefined },
  membersOf: (groupId: number) => readonly number[] = () => [],
): InteractionQuery {
  const query: InteractionQuery = { limit: page.limit };
  if (page.cursor !== undefined) query.cursor = page.cursor;
  if (f.from !== undefined) query.from = new Date(f.from);
  if (f.to !== undefined) query.to = new Date(f.to);
  const copy = ['party', 'callingParty', 'calledParty', 'answeringParty', 'participant', 'callId', 'correlationId', 'q', 'note', 'unassigned', 'sort', 'order'] as const;
  for (const key of copy) if (f[key] !== undefined) (query as unknown as Record<string, unknown>)[key] = f[key];
  if (f.status) query.statuses = f.status;
  if (f.direction) query.directions = f.direction;
  if (f.releaseCause) query.releaseCauses = f.releaseCause;
  if (f.callType) query.callTypes = f.callType;
  if (f.tag) query.tags = f.tag;
  // A group stands for its members (seed 000 "Users and Groups"); one without members matches
  // nothing (user id 0 never exists), not everything.
  const users = f.group ? [...new Set([...(f.user ?? []), ...f.group.flatMap((g) => membersOf(g)), 0])] : f.user;
  if (users?.length === 1) query.userId = users[0]!;
  else if (users) query.userIds = users;
  // "My calls" narrows whatever else is asked to the caller's own links.
  if (f.mine) {
    if (query.userId !== undefined && query.userId !== auth.user.id) query.userIds = [query.userId];
    query.userId = auth.user.id;
  }
  if (f.minDuration !== undefined) query.minDurationMs = f.minDuration * 1000;
  if (f.maxDuration !== undefined) query.maxDurationMs = f.maxDuration * 1000 + 999;
  return query;
}

/** Seed 000: "Duration … increments on-the-fly when a recording is active". */
export function withLiveDuration<T extends Interaction>(items: T[], now = Date.now()): T[] {
  for (const it of items) {
    if (it.status === 'recording') it.durationMs = Math.max(0, now - Date.parse(it.startTime));
  }
  return items;
}
