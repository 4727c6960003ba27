// Decides who is the calling and who the called party, and which stereo channel each recorded
// stream goes to. Channels come from metadata (label -> stream -> participant), never from the
// order packets arrive in: random channel order is a top complaint about other recorders.
import type { RecordingMetadata } from './metadata.js';

export interface Party {
  participantId: string;
  name: string | null;
  aor: string | null;
  role: 'calling' | 'called' | 'other';
}

export interface StreamAssignment {
  /** Index of the m-line in the offer. */
  index: number;
  label: string;
  participantId: string | null;
  channel: 0 | 1;
}

export interface PartyAssignment {
  callingParty: string | null;
  calledParty: string | null;
  participants: Party[];
  streams: StreamAssignment[];
  /** Which rule decided the calling party (kept in the catalog for support cases). */
  rule: string;
}

/** The user part of an AoR with or without a scheme: `sip:+1555@h;x` and `+1555@h` give `+1555`. */
export function userPart(aor: string | null): string | null {
  if (!aor) return null;
  let s = aor.trim().replace(/^.*</, '').replace(/>.*$/, '');
  s = s.replace(/^(sips?|tel):/i, '');
  s = s.split('@')[0]!.split(';')[0]!;
  return s || null;
}

function sameNumber(a: string | null, b: string | null): boolean {
  const x = userPart(a)?.replace(/[^0-9a-z+]/gi, '');
  const y = userPart(b)?.replace(/[^0-9a-z+]/gi, '');
  return !!x && !!y && (x === y || x.replace(/^\+/, '') === y.replace(/^\+/, ''));
}

function display(p: { aor: string | null; name: string | null } | undefined): string | null {
  return p ? userPart(p.aor) ?? p.name : null;
}

interface Decision {
  callingId: string | null;
  calledId: string | null;
  rule: string;
}

function decideCaller(meta: RecordingMetadata): Decision {
  const ps = meta.participants;
  const other = (id: string) => ps.find((p) => p.id !== id)?.id ?? null;
  const flagged = ps.find((p) => p.callingParty === true);
  if (flagged) return { callingId: flagged.id, calledId: ps.find((p) => p.callingParty === false)?.id ?? other(flagged.id), rule: 'metadata callingParty flag' };
  const { callingNumber, calledNumber, fromHeader } = meta.hints;
  if (callingNumber) {
    const c = ps.find((p) => sameNumber(p.aor, callingNumber));
    if (c) {
      const d = calledNumber ? ps.find((p) => p.id !== c.id && sameNumber(p.aor, calledNumber)) : undefined;
      return { callingId: c.id, calledId: d?.id ?? other(c.id), rule: 'metadata calling/called numbers' };
    }
  }
  if (fromHeader) {
    const c = ps.find((p) => sameNumber(p.aor, fromHeader));
    if (c) return { callingId: c.id, calledId: other(c.id), rule: 'metadata From header' };
  }
  if (ps.length > 0) return { callingId: ps[0]!.id, calledId: ps[1]?.id ?? null, rule: 'first participant' };
  return { callingId: null, calledId: null, rule: 'label order' };
}

/**
 * SIPREC session: parties from metadata. Streams whose participant is known go to that party's
 * side (LEFT calling, RIGHT called; a third party's stream to RIGHT, i.e. mixed with the far end);
 * streams with no known participant fall back to m-line order (first LEFT, others RIGHT).
 */
export function assignFromMetadata(meta: RecordingMetadata | null, labels: Array<string | null>): PartyAssignment {
  const decision = meta ? decideCaller(meta) : { callingId: null, calledId: null, rule: 'label order' };
  const participants: Party[] = (meta?.participants ?? []).map((p) => ({
    participantId: p.id,
    name: p.name,
    aor: p.aor,
    role: p.id === decision.callingId ? 'calling' : p.id === decision.calledId ? 'called' : 'other',
  }));
  const streams = labels.map((label, index): StreamAssignment => {
    const effectiveLabel = label ?? String(index + 1);
    const stream = meta?.streams.find((s) => s.label === label || (label === null && s.label === effectiveLabel));
    const sender = stream ? meta?.participants.find((p) => p.sends.includes(stream.id)) : undefined;
    let channel: 0 | 1 = index === 0 ? 0 : 1;
    if (sender && decision.callingId) channel = sender.id === decision.callingId ? 0 : 1;
    return { index, label: effectiveLabel, participantId: sender?.id ?? null, channel };
  });
  const byId = (id: string | null) => meta?.participants.find((p) => p.id === id);
  return {
    callingParty: display(byId(decision.callingId)),
    calledParty: display(byId(decision.calledId)),
    participants,
    streams,
    rule: decision.rule,
  };
}

/** Plain SIP-trunk fork (no metadata): parties from From/P-Asserted-Identity and To, m-line order. */
export function assignFromHeaders(from: string | null, to: string | null, labels: Array<string | null>): PartyAssignment {
  const participants: Party[] = [];
  if (from) participants.push({ participantId: 'from', name: null, aor: from, role: 'calling' });
  if (to) participants.push({ participantId: 'to', name: null, aor: to, role: 'called' });
  return {
    callingParty: userPart(from),
    calledParty: userPart(to),
    participants,
    streams: labels.map((label, index) => ({
      index,
      label: label ?? String(index + 1),
      participantId: index === 0 && from ? 'from' : index === 1 && to ? 'to' : null,
      channel: index === 0 ? 0 : 1,
    })),
    rule: 'SIP headers',
  };
}
