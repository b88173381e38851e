import net from 'node:net';

/** One message for the load generator: the envelope and the DATA payload. */
export interface LoadMessage {
  from: string;
  to: string;
  /**
   * The message as sent after DATA: CRLF line endings, dot-stuffed, ending in CRLF,
   * without the final `.` line.
   */
  data: Buffer;
}

export interface LoadOptions {
  host: string;
  port: number;
  /** Parallel SMTP sessions; each sends messages one after another on one connection. */
  sessions: number;
  count: number;
  /** Returns message number `index` (0 based). */
  message: (index: number) => LoadMessage;
  /** Called with the final reply to each message's data and the time it arrived. */
  onReply?: (index: number, reply: string, atMs: number) => void;
  /** Pause after each message in milliseconds, 0 by default. */
  delayMs?: number;
  /** Sessions send no further message once this returns true. */
  until?: () => boolean;
  /** The whole run fails after this many milliseconds. */
  timeoutMs: number;
}

export interface LoadResult {
  accepted: number;
  /** Final replies other than 250, with their message numbers. */
  rejected: Array<{ index: number; reply: string }>;
  bytes: number;
  elapsedMs: number;
}

/**
 * Sends `count` messages over `sessions` parallel SMTP sessions without pipelining, the
 * way Postfix's smtp-source does, and resolves once every session has sent QUIT.
 */
export async function sendLoad(options: LoadOptions): Promise<LoadResult> {
  const started = performance.now();
  const result: LoadResult = { accepted: 0, rejected: [], bytes: 0, elapsedMs: 0 };
  let next = 0;
  const takeIndex = (): number | null =>
    next < options.count && !options.until?.() ? next++ : null;

  const sessions = Array.from({ length: Math.min(options.sessions, options.count) }, () =>
    runSession(options, takeIndex, result),
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`SMTP load timed out after ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
  });
  try {
    await Promise.race([Promise.all(sessions), timeout]);
  } finally {
    clearTimeout(timer);
  }
  result.elapsedMs = performance.now() - started;
  return result;
}

async function runSession(
  options: LoadOptions,
  takeIndex: () => number | null,
  result: LoadResult,
): Promise<void> {
  const client = await SmtpConnection.open(options.host, options.port);
  try {
    expectCode(await client.reply(), 220, 'greeting');
    expectCode(await client.command('EHLO bench.test'), 250, 'EHLO');
    for (let index = takeIndex(); index !== null; index = takeIndex()) {
      const message = options.message(index);
      expectCode(await client.command(`MAIL FROM:<${message.from}>`), 250, 'MAIL FROM');
      expectCode(await client.command(`RCPT TO:<${message.to}>`), 250, 'RCPT TO');
      expectCode(await client.command('DATA'), 354, 'DATA');
      client.write(message.data);
      const reply = await client.command('.');
      options.onReply?.(index, reply, performance.timeOrigin + performance.now());
      if (reply.startsWith('250')) {
        result.accepted += 1;
        result.bytes += message.data.length;
      } else {
        result.rejected.push({ index, reply });
      }
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    }
    await client.command('QUIT');
  } finally {
    client.close();
  }
}

function expectCode(reply: string, code: number, step: string): void {
  if (!reply.startsWith(String(code))) {
    throw new Error(`SMTP ${step} failed: expected ${code}, got "${reply.trim()}"`);
  }
}

/** A plain SMTP client connection that reads one complete (multi-line) reply at a time. */
class SmtpConnection {
  private buffered = '';
  private waiting: ((reply: string) => void) | null = null;
  private failure: Error | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffered += chunk.toString('latin1');
      this.deliver();
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('SMTP connection closed by the server')));
  }

  static open(host: string, port: number): Promise<SmtpConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port }, () => {
        socket.off('error', reject);
        resolve(new SmtpConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  write(data: Buffer): void {
    this.socket.write(data);
  }

  command(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  reply(): Promise<string> {
    return new Promise((resolve, reject) => {
      if (this.failure) {
        reject(this.failure);
        return;
      }
      this.waiting = resolve;
      this.failWaiting = reject;
      this.deliver();
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private failWaiting: ((error: Error) => void) | null = null;

  private deliver(): void {
    if (!this.waiting) return;
    const end = completeReplyEnd(this.buffered);
    if (end < 0) return;
    const reply = this.buffered.slice(0, end);
    this.buffered = this.buffered.slice(end);
    const resolve = this.waiting;
    this.waiting = null;
    this.failWaiting = null;
    resolve(reply);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const reject = this.failWaiting;
    this.waiting = null;
    this.failWaiting = null;
    reject?.(this.failure);
  }
}

/** Returns the end offset of the first complete reply in `text`, or -1 if there is none. */
function completeReplyEnd(text: string): number {
  let start = 0;
  for (;;) {
    const newline = text.indexOf('\n', start);
    if (newline < 0) return -1;
    // The last line of a reply has a space (or nothing) after the code; others have '-'.
    if (text[start + 3] !== '-') return newline + 1;
    start = newline + 1;
  }
}

/** Converts a message to CRLF line endings and dot-stuffs it for DATA. */
export function toSmtpData(source: Buffer): Buffer {
  const lines = source.toString('latin1').split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const stuffed = lines.map((line) => (line.startsWith('.') ? `.${line}` : line));
  return Buffer.from(`${stuffed.join('\r\n')}\r\n`, 'latin1');
}
