import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LogOptions {
  /** pino level name: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`. */
  level?: string;
  /** Where log lines go; standard error by default, so standard output stays for the CLI. */
  destination?: NodeJS.WritableStream;
}

/** Creates the root logger. Subsystems take a child with `logger.child({ module })`. */
export function createLogger(options: LogOptions = {}): Logger {
  const destination = options.destination ?? process.stderr;
  return pino({ level: options.level ?? 'info', base: undefined }, destination);
}
