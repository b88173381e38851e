import { createRequire } from 'node:module';

import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

type PinoPrettyModule = typeof import('pino-pretty');

export interface LogOptions {
  /** pino level name: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`. */
  level?: string;
  /** Stream for log lines: standard error by default, so standard output stays for the CLI. */
  destination?: NodeJS.WritableStream;
}

/**
 * Creates the root logger. Subsystems take a child with `logger.child({ module })`.
 * Lines are JSON, one per line, for log collectors; on a terminal they are printed as
 * readable text instead.
 */
export function createLogger(options: LogOptions = {}): Logger {
  const destination = options.destination ?? process.stderr;
  const level = options.level ?? 'info';
  if ((destination as NodeJS.WriteStream).isTTY) {
    // Loaded only for a terminal, so that a server logging JSON never keeps pino-pretty and
    // its dependencies in memory. It is a CommonJS package, so require() loads it at once.
    const { PinoPretty } = createRequire(import.meta.url)('pino-pretty') as PinoPrettyModule;
    const pretty = PinoPretty({
      destination,
      sync: true,
      colorize: true,
      ignore: 'pid,hostname,module',
      translateTime: 'HH:MM:ss.l',
      singleLine: true,
      messageFormat: '{if module}[{module}] {end}{msg}',
    });
    return pino({ level, base: undefined }, pretty);
  }
  return pino({ level, base: undefined }, destination);
}
