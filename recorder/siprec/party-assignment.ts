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
  /**
   * The SRC mixed several parties into this one stream (BroadWorks, Metaswitch, a one-m-line
   * fork): it cannot be split, so it is written to both channels rather than leave one empty.
   */
  mixed: boolean;
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

/** Audio m-lines only take part in channel decisions; a declined or video line gets a label but no say. */
export interface MlineInfo {
  label: string | null;
  audio: boolean;
}

/**
 * SIPREC session: parties from metadata. Streams whose participant is known go to that party's
 * side (LEFT calling, RIGHT called; a third party's stream to RIGHT, i.e. mixed with the far end);
 * streams with no known participant fall back to m-line order (first LEFT, others RIGHT).
 */
export function assignFromMetadata(meta: RecordingMetadata | null, mlines: MlineInfo[]): PartyAssignment {
  const labels = mlines.map((m) => m.label);
  const audioCount = mlines.filter((m) => m.audio).length;
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
    const senders = stream ? (meta?.participants.filter((p) => p.sends.includes(stream.id)) ?? []) : [];
    const sender = senders[0];
    const mixed = stream?.mode === 'mixed' || senders.length > 1 || (audioCount === 1 && (meta?.participants.length ?? 0) > 1);
    let channel: 0 | 1 = index === 0 ? 0 : 1;
    if (sender && decision.callingId) channel = sender.id === decision.callingId ? 0 : 1;
    if (mixed) channel = 0;
    return { index, label: effectiveLabel, participantId: mixed ? null : (sender?.id ?? null), channel, mixed };
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

export interface HeaderParty {
  uri: string | null;
  name: string | null;
}

/**
 * Plain SIP-trunk fork (no metadata): parties from Cisco recording-participant headers when
 * present (in order: calling, called), else P-Asserted-Identity/From and To; m-line order decides
 * the channels, and a single m-line carries both parties mixed.
 */
export function assignFromHeaders(from: HeaderParty, to: HeaderParty, mlines: MlineInfo[], recordingParticipants: HeaderParty[] = []): PartyAssignment {
  const cisco = recordingParticipants.filter((p) => p.uri);
  const calling = cisco[0] ?? from;
  const called = cisco[1] ?? to;
  const participants: Party[] = [];
  if (calling.uri) participants.push({ participantId: 'calling', name: calling.name, aor: calling.uri, role: 'calling' });
  if (called.uri) participants.push({ participantId: 'called', name: called.name, aor: called.uri, role: 'called' });
  const audioCount = mlines.filter((m) => m.audio).length;
  return {
    callingParty: userPart(calling.uri) ?? calling.name,
    calledParty: userPart(called.uri) ?? called.name,
    participants,
    streams: mlines.map((m, index) => {
      const mixed = audioCount === 1;
      return {
        index,
        label: m.label ?? String(index + 1),
        participantId: mixed ? null : index === 0 && calling.uri ? 'calling' : index === 1 && called.uri ? 'called' : null,
        channel: index === 0 || mixed ? 0 : 1,
        mixed,
      };
    }),
    rule: cisco.length ? 'Cisco recording participant headers' : 'SIP headers',
  };
}
