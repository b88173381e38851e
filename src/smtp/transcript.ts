import type { EventBus, TranscriptLine } from '../delivery/events.js';

/** Longer transcript lines are cut to this many characters. */
const MAX_LINE_LENGTH = 2000;

/** A session's buffered lines are emitted at most this many milliseconds after the first. */
const FLUSH_DELAY_MS = 200;

/** A session's buffered lines are emitted at once when this many have collected. */
const MAX_BUFFERED_LINES = 500;

/**
 * Per-session cap on the recorded transcript, so that a client that sends commands
 * without end cannot grow the database without bound. Lines past either cap are counted,
 * not kept, and a note with the counts ends the transcript.
 */
export interface TranscriptLimits {
  /** Maximum number of lines recorded per session. */
  maxLines: number;
  /** Maximum UTF-8 bytes of line text recorded per session. */
  maxBytes: number;
}

export const DEFAULT_TRANSCRIPT_LIMITS: TranscriptLimits = {
  maxLines: 20_000,
  maxBytes: 2 * 1024 * 1024,
};

interface OpenTranscript {
  lines: TranscriptLine[];
  timer: NodeJS.Timeout | null;
  /** Lines and bytes recorded so far, including those already emitted. */
  recordedLines: number;
  recordedBytes: number;
  /** Lines and bytes left out once a cap was reached. */
  omittedLines: number;
  omittedBytes: number;
}

/**
 * Collects the dialogue of each SMTP session and emits it on the event bus as
 * `session.transcript` batches. A batch goes out shortly after its first line, at once
 * when `flushSoon` or `close` is called, and whenever the buffer fills.
 *
 * The lines come from smtp-server's own command and reply log, which already replaces
 * AUTH credentials with `/* secured *\/`. Message content never appears: DATA is
 * recorded as a byte count. Each session records at most `limits.maxLines` lines and
 * `limits.maxBytes` bytes of text.
 */
export class TranscriptRecorder {
  private readonly open = new Map<string, OpenTranscript>();

  constructor(
    private readonly events: EventBus,
    private readonly limits: TranscriptLimits = DEFAULT_TRANSCRIPT_LIMITS,
  ) {}

  /** Starts collecting lines for a session. Lines for unknown sessions are dropped. */
  start(sessionId: string): void {
    this.open.set(sessionId, {
      lines: [],
      timer: null,
      recordedLines: 0,
      recordedBytes: 0,
      omittedLines: 0,
      omittedBytes: 0,
    });
  }

  add(sessionId: string, direction: TranscriptLine['direction'], text: string): void {
    const transcript = this.open.get(sessionId);
    if (!transcript) {
      return;
    }
    const line = truncate(text);
    const bytes = Buffer.byteLength(line);
    const full =
      transcript.omittedLines > 0 ||
      transcript.recordedLines >= this.limits.maxLines ||
      transcript.recordedBytes + bytes > this.limits.maxBytes;
    if (full) {
      transcript.omittedLines += 1;
      transcript.omittedBytes += bytes;
      return;
    }
    transcript.recordedLines += 1;
    transcript.recordedBytes += bytes;
    transcript.lines.push({ at: Date.now(), direction, text: line });

    if (transcript.lines.length >= MAX_BUFFERED_LINES) {
      this.flush(sessionId);
    } else if (transcript.timer === null) {
      transcript.timer = setTimeout(() => this.flush(sessionId), FLUSH_DELAY_MS);
      transcript.timer.unref();
    }
  }

  /** Emits the buffered lines after the current event-loop turn, once replies were logged. */
  flushSoon(sessionId: string): void {
    setImmediate(() => this.flush(sessionId));
  }

  /** Emits the buffered lines now. */
  flush(sessionId: string): void {
    const transcript = this.open.get(sessionId);
    if (!transcript) {
      return;
    }
    if (transcript.timer !== null) {
      clearTimeout(transcript.timer);
      transcript.timer = null;
    }
    if (transcript.lines.length === 0) {
      return;
    }
    const lines = transcript.lines;
    transcript.lines = [];
    this.events.emit({ type: 'session.transcript', sessionId, lines });
  }

  /**
   * Emits the remaining lines, with a note of how much was left out when a cap was
   * reached, and stops collecting for the session.
   */
  close(sessionId: string): void {
    const transcript = this.open.get(sessionId);
    if (transcript && transcript.omittedLines > 0) {
      transcript.lines.push({
        at: Date.now(),
        direction: 'I',
        text:
          `Transcript limit reached (${this.limits.maxLines} lines or ` +
          `${this.limits.maxBytes} bytes per session): ${transcript.omittedLines} more lines ` +
          `(${transcript.omittedBytes} bytes) were not recorded`,
      });
    }
    this.flush(sessionId);
    this.open.delete(sessionId);
  }
}

function truncate(text: string): string {
  if (text.length <= MAX_LINE_LENGTH) {
    return text;
  }
  const omitted = text.length - MAX_LINE_LENGTH;
  return `${text.slice(0, MAX_LINE_LENGTH)}… (${omitted} more characters)`;
}
