import net from 'node:net';

/** One SMTP reply: the code and every line without the code and separator. */
export interface RawReply {
  code: number;
  /** Text of each line after `250-` or `250 `. */
  lines: string[];
  /** The reply as received, lines joined with `\n`. */
  raw: string;
}

const DEFAULT_TIMEOUT_MS = 5000;

/**
 * A bare TCP client for SMTP dialogues that real clients would refuse to produce, or that
 * need exact bytes on the wire: pipelined junk, bare addresses, a connection dropped in
 * the middle of DATA. Every wait has a timeout, so a server that never replies fails the
 * test instead of hanging it.
 */
export class RawSmtpClient {
  private buffer = '';
  private readonly replies: RawReply[] = [];
  private waiter: (() => void) | null = null;
  private closedFlag = false;
  private readonly closedPromise: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => this.receive(text));
    // A reset from the server is a valid outcome in these tests; the close event records it.
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) => {
      socket.on('close', () => {
        this.closedFlag = true;
        this.waiter?.();
        resolve();
      });
    });
  }

  /** Connects and reads the greeting, waiting at most `timeoutMs` for it. */
  static async connect(
    port: number,
    host = '127.0.0.1',
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<{ client: RawSmtpClient; greeting: RawReply }> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const connection = net.connect(port, host, () => resolve(connection));
      connection.once('error', reject);
    });
    const client = new RawSmtpClient(socket);
    const greeting = await client.read(timeoutMs);
    return { client, greeting };
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Sends one line and adds CRLF. */
  send(line: string | Buffer): void {
    this.socket.write(Buffer.concat([Buffer.from(line), Buffer.from('\r\n')]));
  }

  /** Sends bytes as they are. */
  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Sends a command line and reads its reply. */
  async command(line: string | Buffer, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RawReply> {
    this.send(line);
    return this.read(timeoutMs);
  }

  /**
   * Sends a message after a 354 reply to DATA: line ends made CRLF, lines that start with
   * a dot stuffed, then the final dot. Returns the reply to the final dot.
   */
  async data(message: Buffer, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RawReply> {
    this.socket.write(dotStuff(toCrlf(message)));
    this.socket.write('.\r\n');
    return this.read(timeoutMs);
  }

  /** Reads the next reply; fails after `timeoutMs`, or if the connection closes first. */
  async read(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RawReply> {
    const deadline = Date.now() + timeoutMs;
    while (this.replies.length === 0) {
      if (this.closedFlag) {
        throw new Error('RawSmtpClient.read: the connection closed before a reply arrived');
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new Error(`RawSmtpClient.read: no reply within ${timeoutMs} ms`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = null;
    }
    return this.replies.shift() as RawReply;
  }

  /** Waits until the server closes the connection; fails after `timeoutMs`. */
  async waitForClose(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`RawSmtpClient.waitForClose: still open after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.closedPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the connection with a TCP reset instead of a FIN. */
  resetAndDestroy(): void {
    this.socket.resetAndDestroy();
  }

  /** Closes the connection without QUIT. */
  destroy(): void {
    this.socket.destroy();
  }

  private receive(text: string): void {
    this.buffer += text;
    let end = this.buffer.indexOf('\r\n');
    const pending: string[] = [];
    let consumed = 0;
    while (end !== -1) {
      const line = this.buffer.slice(consumed, end);
      consumed = end + 2;
      pending.push(line);
      if (/^\d{3}(?: |$)/.test(line)) {
        this.replies.push(toReply(pending.splice(0)));
        this.buffer = this.buffer.slice(consumed);
        consumed = 0;
      }
      end = this.buffer.indexOf('\r\n', consumed);
    }
    this.waiter?.();
  }
}

function toReply(lines: string[]): RawReply {
  const last = lines[lines.length - 1] as string;
  return {
    code: Number(last.slice(0, 3)),
    lines: lines.map((line) => line.slice(4)),
    raw: lines.join('\n'),
  };
}

/**
 * Returns the message as it goes over the wire: bare LF made CRLF, and a final CRLF
 * added when the message does not end with one. This is what the server stores.
 */
export function toCrlf(message: Buffer): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < message.length; i++) {
    if (message[i] === 0x0a && (i === 0 || message[i - 1] !== 0x0d)) {
      parts.push(message.subarray(start, i), Buffer.from('\r\n'));
      start = i + 1;
    }
  }
  parts.push(message.subarray(start));
  let wire = Buffer.concat(parts);
  if (!wire.subarray(-2).equals(Buffer.from('\r\n'))) {
    wire = Buffer.concat([wire, Buffer.from('\r\n')]);
  }
  return wire;
}

/** Doubles the dot at the start of every line (RFC 5321 section 4.5.2). */
function dotStuff(wire: Buffer): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < wire.length; i++) {
    const lineStart = i === 0 || (wire[i - 1] === 0x0a && wire[i - 2] === 0x0d);
    if (lineStart && wire[i] === 0x2e) {
      parts.push(wire.subarray(start, i), Buffer.from('.'));
      start = i;
    }
  }
  parts.push(wire.subarray(start));
  return Buffer.concat(parts);
}
