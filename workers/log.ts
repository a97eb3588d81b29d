// One pino logger per process, writing JSON lines to stderr (stdout is for the
// commands' own output: records, JSON Lines, summaries).
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { pid: process.pid, ...bindings } }, pino.destination({ dest: 2, sync: true }));
}
