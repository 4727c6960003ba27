import type { Status } from './api';

// Seed 000 §1.6 recording statuses and their definitions.
export const STATUS_INFO: Record<Status, { label: string; meaning: string; glyph: string }> = {
  available: { label: 'Available', meaning: 'available for playback', glyph: '▶' },
  pending: { label: 'Pending', meaning: 'pending database synchronization', glyph: '…' },
  recording: { label: 'Recording', meaning: 'currently being recorded', glyph: '●' },
  failed: { label: 'Failed', meaning: 'The recording failed.', glyph: '!' },
  deleted: { label: 'Deleted', meaning: 'The recording has been deleted.', glyph: '✕' },
};

export function StatusIcon({ status }: { status: Status }) {
  const info = STATUS_INFO[status];
  return (
    <span class={`status status-${status}`} role="img" aria-label={info.label} title={`${info.label}: ${info.meaning}`}>
      <span aria-hidden="true">{info.glyph}</span>
    </span>
  );
}
