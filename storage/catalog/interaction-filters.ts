import { InvalidInputError } from './errors.js';
import { partyMatch } from './party.js';
import type { InteractionQuery } from './types.js';

// SQL for the seed 000 §1.7 filters of the interaction list. Exact party values are looked up
// through their indexes (few matches); wildcards and the other filters are checked per row of the
// list's walk (the time range, a user's links or the sort index drive it), where the unary + keeps
// SQLite from choosing a column index that would need a sort.
// Values are always bound parameters; lists are bound as one JSON array.

const LIKE = `ESCAPE '\\'`;

/**
 * Whether a filter matches many calls (it then rides along the list's walk instead of driving
 * it), given the SELECTs whose ids together are its matches (each counted through its index).
 */
export type CommonCheck = (key: string, arms: string[], params: Record<string, unknown>) => boolean;

/** The ids one side's prefix pattern matches, through the NOCASE party, user-part and name indexes. */
function sidePrefixArms(side: 'calling' | 'called', p: string): string[] {
  return [
    `SELECT id FROM interactions WHERE ${side}_user LIKE @${p} ${LIKE}`,
    `SELECT id FROM interactions WHERE ${side}_party LIKE @${p} ${LIKE}`,
    `SELECT interaction_id FROM participants WHERE name LIKE @${p} ${LIKE} AND role = '${side}'`,
  ];
}

function participantPrefixArms(p: string): string[] {
  return ['aor_user', 'aor', 'name'].map((col) => `SELECT interaction_id FROM participants WHERE ${col} LIKE @${p} ${LIKE}`);
}

/** One side's party: the address, its user part, and the display name of that participant. */
function sideSql(side: 'calling' | 'called', p: string, kind: 'exact' | 'like' | 'prefix'): string {
  if (kind === 'prefix') return `i.id IN (${sidePrefixArms(side, p).join(' UNION ')})`;
  if (kind === 'like') {
    return `(+i.${side}_party LIKE @${p} ${LIKE} OR +i.${side}_user LIKE @${p} ${LIKE}
      OR EXISTS (SELECT 1 FROM participants ${p}x WHERE ${p}x.interaction_id = i.id AND ${p}x.role = '${side}' AND +${p}x.name LIKE @${p} ${LIKE}))`;
  }
  // An exact value (a number, an address, a name) matches few calls: found through the party,
  // user-part and name indexes, then sorted, instead of walking the catalog for them.
  return `i.id IN (
    SELECT id FROM interactions WHERE ${side}_party IN (@${p}1, @${p}2, @${p}3) OR ${side}_user = @${p}u
    UNION SELECT interaction_id FROM participants WHERE name IN (@${p}1, @${p}2, @${p}3) AND role = '${side}')`;
}

function participantSql(p: string, kind: 'exact' | 'like' | 'prefix'): string {
  if (kind === 'prefix') return `i.id IN (${participantPrefixArms(p).join(' UNION ')})`;
  if (kind === 'like') {
    return `EXISTS (SELECT 1 FROM participants ${p}x WHERE ${p}x.interaction_id = i.id
      AND (+${p}x.name LIKE @${p} ${LIKE} OR +${p}x.aor LIKE @${p} ${LIKE} OR +${p}x.aor_user LIKE @${p} ${LIKE}))`;
  }
  return `i.id IN (SELECT interaction_id FROM participants
    WHERE name IN (@${p}1, @${p}2, @${p}3) OR aor IN (@${p}1, @${p}2, @${p}3) OR aor_user = @${p}u)`;
}

function bindParty(term: string, p: string, params: Record<string, unknown>): 'exact' | 'like' {
  const m = partyMatch(term);
  if (m.kind === 'like') {
    params[p] = m.pattern;
    return 'like';
  }
  [params[`${p}1`], params[`${p}2`], params[`${p}3`]] = m.values;
  params[`${p}u`] = m.user;
  return 'exact';
}

function list<T>(values: T[] | undefined, what: string, allowed?: readonly T[]): T[] | undefined {
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > 50) throw new InvalidInputError(`${what}: at most 50 values`);
  if (allowed) for (const v of values) if (!allowed.includes(v)) throw new InvalidInputError(`${what}: unknown value ${JSON.stringify(v)}`);
  return values;
}

/** Appends the shape key, WHERE term and parameters of every filter of `q` handled here. */
export function fieldFilters(
  q: InteractionQuery,
  viewer: number | null,
  shape: string[],
  where: string[],
  params: Record<string, unknown>,
  common: CommonCheck = () => true,
): void {
  // A prefix (`732*`) that few calls match is resolved through the indexes first; a common one,
  // or a pattern with a leading wildcard (no index can serve it), is checked per row.
  const refine = (kind: 'exact' | 'like', p: string, key: string, arms: string[]): 'exact' | 'like' | 'prefix' =>
    kind === 'like' && !String(params[p]).startsWith('%') && !common(key, arms, { [p]: params[p] }) ? 'prefix' : kind;
  const statuses = list(q.statuses, 'status', ['recording', 'pending', 'available', 'failed', 'deleted']);
  if (statuses?.length === 1) {
    // Equality lets the (status, start_time) index drive the list (active calls among millions).
    shape.push('status1');
    where.push('i.status = @status1');
    params.status1 = statuses[0];
  } else if (statuses) {
    shape.push('statuses');
    where.push('i.status IN (SELECT value FROM json_each(@statuses))');
    params.statuses = JSON.stringify(statuses);
  }
  const directions = list(q.directions, 'direction', ['Incoming', 'Outgoing', 'None']);
  if (directions) {
    params.directions = JSON.stringify(directions);
    // Direction is seen from a targeted user: the one looking (user scope) or filtered for.
    const relativeTo = viewer ?? (q.userIds?.length === 1 ? q.userIds[0] : undefined) ?? q.userId;
    if (relativeTo !== undefined) {
      shape.push('direction@user');
      params.dirUser = relativeTo;
      where.push(`EXISTS (SELECT 1 FROM interaction_users du WHERE du.interaction_id = i.id AND du.user_id = @dirUser
        AND du.direction IN (SELECT value FROM json_each(@directions)))`);
    } else {
      shape.push('direction');
      where.push('+i.direction IN (SELECT value FROM json_each(@directions))');
    }
  }
  const sides: Array<[keyof InteractionQuery, 'calling' | 'called', string]> = [
    ['callingParty', 'calling', 'cg'],
    ['calledParty', 'called', 'cd'],
    ['answeringParty', 'called', 'an'],
  ];
  for (const [key, side, p] of sides) {
    const term = q[key];
    if (typeof term !== 'string' || term.trim() === '') continue;
    const kind = refine(bindParty(term, p, params), p, `prefix:${side}:${p}`, sidePrefixArms(side, p));
    shape.push(`${p}:${kind}`);
    where.push(sideSql(side, p, kind));
    if (key === 'answeringParty') where.push(`ifnull(i.release_cause, '') NOT IN ('Missed', 'Abandoned')`);
  }
  if (q.participant !== undefined && q.participant.trim() !== '') {
    const kind = refine(bindParty(q.participant, 'pa', params), 'pa', 'prefix:participant', participantPrefixArms('pa'));
    shape.push(`pa:${kind}`);
    where.push(participantSql('pa', kind));
  }
  const causes = list(q.releaseCauses, 'releaseCause', ['Normal', 'Failure', 'Missed', 'Abandoned', 'Transferred']);
  if (causes) {
    shape.push('causes');
    where.push('+i.release_cause IN (SELECT value FROM json_each(@causes))');
    params.causes = JSON.stringify(causes);
  }
  const types = list(q.callTypes, 'callType');
  if (types) {
    shape.push('types');
    where.push('+i.call_type IN (SELECT value FROM json_each(@types))');
    params.types = JSON.stringify(types);
  }
  for (const [key, op, p] of [['minDurationMs', '>=', 'minDur'], ['maxDurationMs', '<=', 'maxDur']] as const) {
    const v = q[key];
    if (v === undefined) continue;
    if (!(Number.isInteger(v) && v >= 0)) throw new InvalidInputError(`${key} must be a whole number of milliseconds, 0 or more`);
    shape.push(p);
    where.push(`+i.duration_ms ${op} @${p}`);
    params[p] = v;
  }
  const users = list(q.userIds, 'user');
  if (users) {
    shape.push('users');
    where.push('i.id IN (SELECT fus.interaction_id FROM interaction_users fus WHERE fus.user_id IN (SELECT value FROM json_each(@filterUsers)))');
    params.filterUsers = JSON.stringify(users);
  }
}
