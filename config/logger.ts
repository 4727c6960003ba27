import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON lines to stdout (journald under systemd); one child logger per component carries its name. */
export function createLogger(level: string, component?: string): Logger {
  const root = pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
  return component ? root.child({ component }) : root;
}
