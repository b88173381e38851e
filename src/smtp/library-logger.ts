import type { Level, Logger } from 'pino';

import type { TranscriptRecorder } from './transcript.js';

type LibraryLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

type LogEntry = Record<string, unknown>;

type LogMethod = (entry: LogEntry | undefined, message?: string, ...args: unknown[]) => void;

/** The bunyan-style logger that smtp-server accepts in its `logger` option. */
export type LibraryLogger = Record<LibraryLevel, LogMethod>;

/** Socket errors that usually mean the client went away. smtp-server logs them as errors. */
const CLIENT_SOCKET_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED']);

/**
 * Creates the logger given to smtp-server. The library's command and reply lines (debug
 * entries with `tnx: 'command'`, `'send'` and `'data'`) go to the session transcript
 * only. Everything else goes to `logger` one level lower than the library chose, because
 * the library logs every connection at info and every client socket error at error.
 * A hook that throws (an error entry with `tnx: 'command'`) stays an error.
 */
export function createLibraryLogger(
  logger: Logger,
  transcripts: TranscriptRecorder,
): LibraryLogger {
  const method =
    (level: LibraryLevel): LogMethod =>
    (entry, message, ...args) => {
      const fields = entry ?? {};
      if (level === 'debug' && recordTranscriptLine(transcripts, fields, args)) {
        return;
      }
      logger[mapLevel(level, fields)](fields, message ?? '', ...args);
    };

  return {
    trace: method('trace'),
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    fatal: method('fatal'),
  };
}

/** Adds a command, reply or DATA size line to the transcript. Returns false for other entries. */
function recordTranscriptLine(
  transcripts: TranscriptRecorder,
  entry: LogEntry,
  args: unknown[],
): boolean {
  const sessionId = typeof entry.cid === 'string' ? entry.cid : null;
  if (sessionId === null) {
    return false;
  }

  switch (entry.tnx) {
    case 'command':
      // smtp-server has already replaced AUTH arguments and AUTH continuation lines.
      transcripts.add(sessionId, 'C', String(args[0] ?? ''));
      return true;
    case 'send':
      for (const line of String(args[0] ?? '').split('\r\n')) {
        transcripts.add(sessionId, 'S', line);
      }
      return true;
    case 'data':
      transcripts.add(sessionId, 'C', `<${String(entry.bytes)} bytes of message data>`);
      return true;
    default:
      return false;
  }
}

function mapLevel(level: LibraryLevel, entry: LogEntry): Level {
  switch (level) {
    case 'trace':
    case 'debug':
      return 'trace';
    case 'info':
      return 'debug';
    case 'warn':
      return 'warn';
    case 'error':
      if (entry.tnx === 'command') {
        return 'error';
      }
      return isClientSocketError(entry.err) ? 'debug' : 'warn';
    case 'fatal':
      return 'fatal';
  }
}

function isClientSocketError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CLIENT_SOCKET_ERRORS.has(code);
}
