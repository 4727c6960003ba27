// Recording metadata (RFC 7865 and the pre-RFC dialects in reference/interop.md), read
// namespace- and prefix-agnostic with lower-cased local names, so one reader serves every SRC.
import { XMLParser } from 'fast-xml-parser';

export interface MetadataParticipant {
  id: string;
  name: string | null;
  aor: string | null;
  /** Stream ids this participant sends. */
  sends: string[];
  /** Oracle/Acme `apkt:callingParty` when present. */
  callingParty: boolean | null;
}

export interface MetadataStream {
  id: string;
  label: string | null;
  /** separate | mixed (legacy dialects); null when not stated. */
  mode: string | null;
}

export interface RecordingMetadata {
  dataMode: string | null; // complete | partial
  sessionId: string | null;
  sipSessionId: string | null;
  participants: MetadataParticipant[];
  streams: MetadataStream[];
  /** BroadWorks callingPartyNumber / calledPartyNumber, Ribbon fromhdr / tohdr. */
  hints: { callingNumber: string | null; calledNumber: string | null; fromHeader: string | null; toHeader: string | null };
  /** Correlation ids worth indexing (sipSessionID, callid, gcid, ucid, extTrackingID...). */
  correlation: Record<string, string>;
  /** Participant ids with a disassociate-time: they left the session. */
  departed: string[];
}

export class MetadataError extends Error {}

/** A cap well below what broke other recorders (100 kB), far above any real SRC's few KB. */
export const MAX_METADATA_BYTES = 64 * 1024;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  transformTagName: (name) => name.toLowerCase(),
  transformAttributeName: (name) => name.toLowerCase(),
  processEntities: true,
  // Every element as a list (dialects differ in what repeats); attributes stay scalar.
  isArray: (_name: string, _path: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute,
});

type Node = Record<string, unknown>;

function children(node: unknown, name: string): unknown[] {
  if (!node || typeof node !== 'object') return [];
  const v = (node as Node)[name];
  return Array.isArray(v) ? v : v === undefined ? [] : [v];
}

function text(node: unknown): string | null {
  if (node === undefined || node === null) return null;
  if (typeof node === 'string') return node.trim() || null;
  if (Array.isArray(node)) return text(node[0]);
  if (typeof node === 'object') {
    const t = (node as Node)['#text'];
    return t === undefined ? null : text(t);
  }
  return String(node);
}

function attr(node: unknown, ...names: string[]): string | null {
  if (!node || typeof node !== 'object') return null;
  for (const n of names) {
    const v = (node as Node)[`@${n}`];
    if (typeof v === 'string' && v.trim()) return v.trim();
  }
  return null;
}

function childText(node: unknown, name: string): string | null {
  return text(children(node, name)[0]);
}

/** Depth-first search for the first element with this local name. */
function findDeep(node: unknown, name: string, depth = 0): unknown {
  if (!node || typeof node !== 'object' || depth > 12) return undefined;
  if (Array.isArray(node)) {
    for (const n of node) {
      const f = findDeep(n, name, depth + 1);
      if (f !== undefined) return f;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(node as Node)) {
    if (k === name) return v;
    if (k.startsWith('@') || k === '#text') continue;
    const f = findDeep(v, name, depth + 1);
    if (f !== undefined) return f;
  }
  return undefined;
}

/** Stream ids under <send>: plain text (RFC, legacy) or <send><id>..</id></send> (BroadWorks). */
function sendIds(node: unknown): string[] {
  const ids: string[] = [];
  for (const s of children(node, 'send')) {
    const direct = text(s);
    if (direct) ids.push(direct);
    for (const id of children(s, 'id')) {
      const t = text(id);
      if (t) ids.push(t);
    }
  }
  return ids;
}

function parseBool(v: string | null): boolean | null {
  if (v === null) return null;
  const s = v.toLowerCase();
  return s === 'true' || s === '1' ? true : s === 'false' || s === '0' ? false : null;
}

export function parseMetadata(body: Buffer): RecordingMetadata {
  if (body.length > MAX_METADATA_BYTES) throw new MetadataError(`metadata of ${body.length} bytes exceeds ${MAX_METADATA_BYTES}`);
  let doc: Node;
  try {
    doc = parser.parse(body.toString('utf8'), true) as Node;
  } catch (err) {
    throw new MetadataError(`metadata is not well-formed XML: ${(err as Error).message.split('\n')[0]}`);
  }
  const rootList = children(doc, 'recording').length ? children(doc, 'recording') : children(doc, 'recording_metadata');
  // An empty element parses as '': still a (trivial) document.
  const root = rootList[0] === '' ? {} : rootList[0];
  if (!root) throw new MetadataError('metadata has no <recording> root element');

  const session = children(root, 'session')[0];
  const participants: MetadataParticipant[] = [];
  const byId = new Map<string, MetadataParticipant>();
  for (const p of children(root, 'participant')) {
    const id = attr(p, 'participant_id', 'id') ?? `p${participants.length + 1}`;
    const nameId = children(p, 'nameid')[0];
    const aor = attr(nameId, 'aor') ?? childText(p, 'aor') ?? attr(p, 'aor');
    const name = childText(nameId, 'name') ?? childText(p, 'name');
    const calling = findDeep(p, 'callingparty');
    const participant: MetadataParticipant = { id, name, aor, sends: sendIds(p), callingParty: parseBool(text(calling)) };
    participants.push(participant);
    byId.set(id, participant);
  }
  for (const assoc of children(root, 'participantstreamassoc')) {
    const pid = attr(assoc, 'participant_id', 'participant', 'id');
    const p = pid ? byId.get(pid) : undefined;
    if (p) for (const s of sendIds(assoc)) if (!p.sends.includes(s)) p.sends.push(s);
  }
  const streams: MetadataStream[] = children(root, 'stream').map((s, i) => ({
    id: attr(s, 'stream_id', 'id') ?? `s${i + 1}`,
    label: childText(s, 'label') ?? attr(s, 'label'),
    mode: childText(s, 'mode')?.toLowerCase() ?? null,
  }));
  // disassociate-time inside a participant (legacy) or its participantsessionassoc (RFC 7865).
  const departed = new Set<string>();
  for (const p of children(root, 'participant')) {
    const id = attr(p, 'participant_id', 'id');
    if (id && children(p, 'disassociate-time').length) departed.add(id);
  }
  for (const a of children(root, 'participantsessionassoc')) {
    const id = attr(a, 'participant_id', 'participant');
    if (id && children(a, 'disassociate-time').length) departed.add(id);
  }

  const hints = {
    callingNumber: text(findDeep(root, 'callingpartynumber')),
    calledNumber: text(findDeep(root, 'calledpartynumber')),
    fromHeader: text(findDeep(root, 'fromhdr')),
    toHeader: text(findDeep(root, 'tohdr')),
  };
  const correlation: Record<string, string> = {};
  for (const key of ['sipsessionid', 'callid', 'gcid', 'ucid', 'exttrackingid', 'uuid']) {
    const v = text(findDeep(root, key));
    if (v) correlation[key] = v;
  }
  return {
    dataMode: childText(root, 'datamode'),
    sessionId: attr(session, 'session_id', 'id'),
    sipSessionId: childText(session, 'sipsessionid') ?? correlation.sipsessionid ?? null,
    participants,
    streams,
    hints,
    correlation,
    departed: [...departed],
  };
}
