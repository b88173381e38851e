import type { EventBus, TranscriptLine } from '../delivery/events.js';

/** Longer transcript lines are cut to this many characters. */
const MAX_LINE_LENGTH = 2000;

/** A session's buffered lines are emitted at most this many milliseconds after the first. */
const FLUSH_DELAY_MS = 200;

/** A session's buffered lines are emitted at once when this many have collected. */
const MAX_BUFFERED_LINES = 500;

interface OpenTranscript {
  lines: TranscriptLine[];
  timer: NodeJS.Timeout | null;
}

/**
 * Collects the dialogue of each SMTP session and emits it on the event bus as
 * `session.transcript` batches. A batch goes out shortly after its first line, at once
 * when `flushSoon` or `close` is called, and whenever the buffer fills.
 *
 * The lines come from smtp-server's own command and reply log, which already replaces
 * AUTH credentials with `/* secured *\/`. Message content never appears: DATA is
 * recorded as a byte count.
 */
export class TranscriptRecorder {
  private readonly open = new Map<string, OpenTranscript>();

  constructor(private readonly events: EventBus) {}

  /** Starts collecting lines for a session. Lines for unknown sessions are dropped. */
  start(sessionId: string): void {
    this.open.set(sessionId, { lines: [], timer: null });
  }

  add(sessionId: string, direction: TranscriptLine['direction'], text: string): void {
    const transcript = this.open.get(sessionId);
    if (!transcript) {
      return;
    }
    transcript.lines.push({ at: Date.now(), direction, text: truncate(text) });

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

  /** Emits the remaining lines and stops collecting for the session. */
  close(sessionId: string): void {
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
