// Metadata updates (UPDATE, re-INVITE, BYE) carry either a complete snapshot or only what changed
// (`dataMode` partial). A partial is merged by participant and stream id; it never replaces the
// record, so an SRC that sends one changed participant does not erase the others.
import type { MetadataParticipant, MetadataStream, RecordingMetadata } from './metadata.js';

function mergeParticipant(a: MetadataParticipant, b: MetadataParticipant): MetadataParticipant {
  return {
    id: a.id,
    name: b.name ?? a.name,
    aor: b.aor ?? a.aor,
    sends: [...new Set([...a.sends, ...b.sends])],
    callingParty: b.callingParty ?? a.callingParty,
  };
}

function mergeById<T extends { id: string }>(base: T[], update: T[], merge: (a: T, b: T) => T): T[] {
  const out = base.map((x) => ({ ...x }));
  for (const u of update) {
    const i = out.findIndex((x) => x.id === u.id);
    if (i < 0) out.push(u);
    else out[i] = merge(out[i]!, u);
  }
  return out;
}

export function isPartial(m: RecordingMetadata): boolean {
  return (m.dataMode ?? '').toLowerCase() === 'partial';
}

/**
 * The session's metadata after `update`. A complete snapshot replaces participants and streams
 * but keeps correlation ids and hints it does not repeat (they identify the call, they do not change).
 */
export function mergeMetadata(base: RecordingMetadata | null, update: RecordingMetadata): RecordingMetadata {
  if (!base) return update;
  const partial = isPartial(update);
  const participants = partial ? mergeById(base.participants, update.participants, mergeParticipant) : update.participants.length ? update.participants : base.participants;
  const streams = partial
    ? mergeById<MetadataStream>(base.streams, update.streams, (a, b) => ({ id: a.id, label: b.label ?? a.label, mode: b.mode ?? a.mode }))
    : update.streams.length ? update.streams : base.streams;
  return {
    dataMode: update.dataMode ?? base.dataMode,
    sessionId: update.sessionId ?? base.sessionId,
    sipSessionId: update.sipSessionId ?? base.sipSessionId,
    participants,
    streams,
    hints: {
      callingNumber: update.hints.callingNumber ?? base.hints.callingNumber,
      calledNumber: update.hints.calledNumber ?? base.hints.calledNumber,
      fromHeader: update.hints.fromHeader ?? base.hints.fromHeader,
      toHeader: update.hints.toHeader ?? base.hints.toHeader,
    },
    correlation: { ...base.correlation, ...update.correlation },
    departed: [...new Set([...base.departed, ...update.departed])],
  };
}
