import net from 'node:net';
import { Readable } from 'node:stream';

import type { ListenAddress } from '../config.js';
import { EX_TEMPFAIL, EX_UNAVAILABLE, SendmailError } from './sendmail-args.js';

const LF = 0x0a;
const CR = 0x0d;
const CRLF = Buffer.from('\r\n');

const CONNECT_TIMEOUT_MS = 10_000;
/** Time the relay waits with no traffic in either direction before it gives up. */
const IDLE_TIMEOUT_MS = 5 * 60_000;
/**
 * Time the server must stay silent, once standard input has ended without QUIT, before
 * the relay closes the connection.
 */
const QUIET_AFTER_INPUT_MS = 3_000;

/**
 * Relays an SMTP session between standard input and output and Mailscope's SMTP port,
 * which is what `sendmail -bs` does: the client talks to Mailscope's SMTP server itself.
 *
 * Bare LF line ends from the client are sent as CRLF. STARTTLS is removed from the EHLO
 * reply, and the relay replies to a STARTTLS command itself with 502, because TLS over
 * standard input would protect nothing and CRLF repair would break it. The relay ends when
 * the server closes the connection (after QUIT), or when standard input ends and the
 * server has gone quiet.
 */
export async function relaySmtpSession(
  server: ListenAddress,
  stdin: NodeJS.ReadableStream,
  stdout: NodeJS.WritableStream,
): Promise<void> {
  const socket = await connect(server);
  socket.setTimeout(IDLE_TIMEOUT_MS);

  await new Promise<void>((resolve, reject) => {
    let inputEnded = false;
    const session = new ClientLines(
      (bytes) => socket.write(bytes),
      (bytes) => stdout.write(bytes),
    );
    const replies = new ReplyFilter((reply) => {
      session.receiveReply(reply);
      if (inputEnded && session.idle()) endWhenQuiet();
    });
    // After QUIT the server closes the connection itself. Input that ends without QUIT
    // closes it once the server has gone quiet, because closing at once would make the
    // server drop pipelined commands it has not read yet.
    let quietTimer: NodeJS.Timeout | undefined;
    const endWhenQuiet = (): void => {
      clearTimeout(quietTimer);
      quietTimer = setTimeout(() => socket.end(), QUIET_AFTER_INPUT_MS);
    };
    socket.on('data', () => {
      if (inputEnded && session.idle()) endWhenQuiet();
    });
    const lineEnds = new CrlfRepair();
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(quietTimer);
      stdin.removeListener('data', onInput);
      // An open standard input would keep the process alive after the session has ended.
      if (stdin instanceof Readable) stdin.destroy();
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    const onInput = (chunk: Buffer | string): void => {
      session.push(lineEnds.repair(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    };

    socket.on('data', (chunk: Buffer) => replies.push(chunk));
    socket.on('timeout', () =>
      finish(new SendmailError('The SMTP session was idle for too long.', EX_TEMPFAIL)),
    );
    socket.on('error', (error) =>
      finish(new SendmailError(`The SMTP connection failed: ${error.message}`, EX_TEMPFAIL)),
    );
    socket.on('close', () => {
      replies.flush();
      finish();
    });
    stdin.on('data', onInput);
    stdin.on('end', () => {
      inputEnded = true;
      session.endInput();
      if (session.idle()) endWhenQuiet();
    });
    stdin.on('error', (error: Error) => finish(error));
  });
}

/** Reply that the relay sends itself for STARTTLS: 502 is RFC 5321's "command not implemented". */
const STARTTLS_REPLY = '502 5.5.1 STARTTLS is not available through mailscope sendmail -bs\r\n';

/** Handling of the server reply to one client line: passed on, or replaced for STARTTLS. */
type ExpectedReply = 'greeting' | 'pass' | 'data' | 'starttls';

/**
 * Splits the client's input into lines and sends them to the server, with the SMTP state
 * needed to find commands: lines after an accepted DATA are message content until the
 * lone dot. Input waits while a reply that decides the state is outstanding: the greeting,
 * because smtp-server rejects a client that talks first, and the reply to DATA, because
 * the lines after a rejected DATA are commands.
 *
 * A STARTTLS command goes to the server as NOOP, and the reply to that NOOP is replaced
 * by STARTTLS_REPLY. The 502 so arrives after the replies to the commands sent before it.
 */
class ClientLines {
  private partial: Buffer = Buffer.alloc(0);
  private readonly waiting: Buffer[] = [];
  private readonly expected: ExpectedReply[] = ['greeting'];
  private blocked = true;
  private inData = false;

  constructor(
    private readonly send: (bytes: Buffer) => void,
    private readonly reply: (bytes: Buffer) => void,
  ) {}

  /** Takes input with CRLF line ends; a partial last line waits for its line end. */
  push(chunk: Buffer): void {
    const data = this.partial.length > 0 ? Buffer.concat([this.partial, chunk]) : chunk;
    let start = 0;
    for (let newline = data.indexOf(LF); newline !== -1; newline = data.indexOf(LF, start)) {
      this.waiting.push(data.subarray(start, newline + 1));
      start = newline + 1;
    }
    this.partial = Buffer.from(data.subarray(start));
    this.drain();
  }

  /** Sends a last line that has no line end, as the server would read it at the end. */
  endInput(): void {
    if (this.partial.length === 0) return;
    this.waiting.push(this.partial);
    this.partial = Buffer.alloc(0);
    this.drain();
  }

  /** True when every input line has been sent to the server. */
  idle(): boolean {
    return this.waiting.length === 0 && !this.blocked;
  }

  /** Passes one whole server reply on to the client, or replaces it. */
  receiveReply(reply: Buffer): void {
    // A reply nothing waits for, such as 421 before the server closes, goes through.
    const kind = this.expected.shift() ?? 'pass';
    if (kind === 'starttls') {
      this.reply(Buffer.from(STARTTLS_REPLY));
      return;
    }
    this.reply(reply);
    if (kind === 'greeting' || kind === 'data') {
      this.inData = kind === 'data' && reply.subarray(0, 4).toString('latin1') === '354 ';
      this.blocked = false;
      this.drain();
    }
  }

  private drain(): void {
    while (!this.blocked && this.waiting.length > 0) {
      const line = this.waiting.shift() as Buffer;
      if (this.inData) {
        // Content lines get no reply. The lone dot that ends the content gets one.
        if (isLoneDot(line)) {
          this.inData = false;
          this.expected.push('pass');
        }
        this.send(line);
        continue;
      }
      const command = line.toString('latin1').trim().toUpperCase();
      if (command === 'STARTTLS') {
        this.expected.push('starttls');
        this.send(Buffer.from('NOOP\r\n'));
      } else if (command === 'DATA') {
        this.expected.push('data');
        this.blocked = true;
        this.send(line);
      } else {
        this.expected.push('pass');
        this.send(line);
      }
    }
  }
}

function isLoneDot(line: Buffer): boolean {
  const text = line.toString('latin1');
  return text === '.\r\n' || text === '.';
}

function connect(server: ListenAddress): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: server.host, port: server.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new SendmailError(
          `Connecting to Mailscope at ${server.host}:${server.port} timed out.`,
          EX_UNAVAILABLE,
        ),
      );
    }, CONNECT_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(
        new SendmailError(
          `Could not connect to Mailscope at ${server.host}:${server.port}: ${error.message}. ` +
            'Start Mailscope, or point -S or MAILSCOPE_SENDMAIL_SMTP at its SMTP address.',
          EX_UNAVAILABLE,
        ),
      );
    });
  });
}

/** Turns every LF that has no CR before it into CRLF, across chunk boundaries. */
class CrlfRepair {
  private lastWasCr = false;

  repair(chunk: Buffer): Buffer {
    const parts: Buffer[] = [];
    let start = 0;
    for (let index = chunk.indexOf(LF); index !== -1; index = chunk.indexOf(LF, index + 1)) {
      const previousIsCr = index > 0 ? chunk[index - 1] === CR : this.lastWasCr;
      if (!previousIsCr) {
        parts.push(chunk.subarray(start, index), CRLF);
        start = index + 1;
      }
    }
    parts.push(chunk.subarray(start));
    if (chunk.length > 0) this.lastWasCr = chunk[chunk.length - 1] === CR;
    return Buffer.concat(parts);
  }
}

/**
 * Passes server replies on whole, except the STARTTLS line of a multi-line EHLO reply.
 * A multi-line reply is held until its last line, so that the line before a removed last
 * line can become the last one.
 */
class ReplyFilter {
  private partial = '';
  private replyLines: string[] = [];

  constructor(private readonly write: (bytes: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.partial += chunk.toString('latin1');
    for (;;) {
      const newline = this.partial.indexOf('\n');
      if (newline === -1) return;
      const line = this.partial.slice(0, newline + 1);
      this.partial = this.partial.slice(newline + 1);
      this.replyLines.push(line);
      // The last line of a reply has a space (or nothing) after the code, not a hyphen.
      if (line[3] !== '-') this.release();
    }
  }

  flush(): void {
    if (this.partial !== '') this.replyLines.push(this.partial);
    this.partial = '';
    this.release();
  }

  private release(): void {
    const lines = this.replyLines.filter((line) => !/^250[ -]STARTTLS\s*$/i.test(line));
    const removedLast =
      lines.length < this.replyLines.length && lines.length > 0 && lines.at(-1)?.[3] === '-';
    if (removedLast) {
      const last = lines.pop() as string;
      lines.push(`${last.slice(0, 3)} ${last.slice(4)}`);
    }
    this.replyLines = [];
    if (lines.length > 0) this.write(Buffer.from(lines.join(''), 'latin1'));
  }
}
