// How times and durations read in the UI (seed 000 §1.6 formats, made consistent: the seed's
// examples mix a 24-hour clock with AM/PM).

const dateFmt = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit' });
const dayFmt = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric' });
const timeFmt = new Intl.DateTimeFormat('en-US', { hour: 'numeric', minute: '2-digit', second: '2-digit' });

export const formatDate = (iso: string | null): string => (iso ? dateFmt.format(new Date(iso)) : '');
export const formatDay = (iso: string | null): string => (iso ? dayFmt.format(new Date(iso)) : '');
export const formatTime = (iso: string | null): string => (iso ? timeFmt.format(new Date(iso)) : '');

/** HH:MM:SS. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  const s = Math.floor(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** M:SS for the player clock. */
export function formatClock(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) sec = 0;
  const s = Math.floor(sec);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** Seed 000 "Call Wait Time": Answer − Start. */
export function waitTime(start: string, answer: string | null): string {
  return answer ? formatDuration(Date.parse(answer) - Date.parse(start)) : '';
}

export const percent = (ratio: number): string => `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.001 ? 3 : 1)}%`;
