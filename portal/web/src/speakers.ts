import type { Interaction, SpeechSegment } from './api';

export interface Speaker {
  channel: 'left' | 'right';
  name: string;
}

/**
 * Who is on each side of the stereo file: the participant whose stream the recorder wrote to that
 * channel (left = calling party, right = called party), else the party of that role.
 */
export function speakersOf(it: Interaction): Speaker[] {
  const nameOf = (channel: 0 | 1): string => {
    const stream = it.streams.find((s) => s.channel === channel && !s.mixed);
    const byStream = stream?.participantId ? it.participants.find((p) => p.participantId === stream.participantId) : undefined;
    const byRole = it.participants.find((p) => p.role === (channel === 0 ? 'calling' : 'called'));
    const p = byStream ?? byRole;
    const number = channel === 0 ? it.callingParty : it.calledParty;
    return p?.name ?? p?.aor ?? number ?? (channel === 0 ? 'Calling party' : 'Called party');
  };
  return [
    { channel: 'left', name: nameOf(0) },
    { channel: 'right', name: nameOf(1) },
  ];
}

/** The start (seconds) of the next segment after `t`, among the speakers shown. */
export function nextSegmentStart(segments: SpeechSegment[], t: number): number | null {
  const starts = segments.map((s) => s.startMs / 1000).sort((a, b) => a - b);
  return starts.find((s) => s > t + 0.05) ?? null;
}

/** The segment start before `t`; a second into a segment, "previous" replays that segment. */
export function previousSegmentStart(segments: SpeechSegment[], t: number): number | null {
  const starts = segments.map((s) => s.startMs / 1000).sort((a, b) => b - a);
  return starts.find((s) => s < t - 1) ?? (segments.length ? 0 : null);
}
