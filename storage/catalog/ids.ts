import { randomBytes } from 'node:crypto';
import { InvalidCursorError } from './errors.js';

/** 24 lowercase hex: 8 of unix seconds then 16 random, so ids sort by creation time. */
export function newInteractionId(now: Date = new Date()): string {
  const seconds = Math.floor(now.getTime() / 1000);
  return seconds.toString(16).padStart(8, '0').slice(-8) + randomBytes(8).toString('hex');
}

export const INTERACTION_ID = /^[0-9a-f]{24}$/;

export interface CursorPosition {
  startMs: number;
  id: string;
}

/** Opaque keyset cursor: the (start_time, id) of the last row of the previous page. */
export function encodeCursor(p: CursorPosition): string {
  return Buffer.from(`${p.startMs}:${p.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  const m = /^(-?\d{1,16}):([0-9a-f]{24})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new InvalidCursorError();
  return { startMs: Number(m[1]), id: m[2]! };
}
