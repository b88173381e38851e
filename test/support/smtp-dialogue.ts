import net from 'node:net';

/**
 * A bare SMTP client over a raw socket, for tests that need exact bytes on the wire or
 * a dialogue that real clients would refuse to hold. Each method sends one thing and
 * waits for one complete reply (the last line of a multi-line reply).
 */
export class SmtpDialogue {
  private buffer = '';
  private waiters: Array<() => void> = [];
  private closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('latin1');
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  /** Connects and reads the greeting. */
  static async connect(port: number, host = '127.0.0.1'): Promise<SmtpDialogue> {
    const socket = net.connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const dialogue = new SmtpDialogue(socket);
    await dialogue.reply();
    return dialogue;
  }

  /** Sends one command line and returns the reply. */
  async command(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  /** Writes bytes as they are, without waiting for a reply. */
  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  /**
   * Sends a message after DATA: line ends made CRLF, lines starting with a dot
   * stuffed, and the final dot. Returns the reply to the final dot.
   */
  async data(message: Buffer): Promise<string> {
    this.socket.write(stuff(toCrlf(message)));
    this.socket.write('.\r\n');
    return this.reply();
  }

  /** Waits for the next complete reply, such as `250 2.0.0 Ok`. */
  async reply(timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reply = this.takeReply();
      if (reply !== null) return reply;
      if (this.closed) throw new Error(`connection closed while waiting; got "${this.buffer}"`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms; got "${this.buffer}"`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Closes the connection abruptly, as a crashing client would. */
  destroy(): void {
    this.socket.destroy();
  }

  private takeReply(): string | null {
    const lines = this.buffer.split('\r\n');
    for (let i = 0; i < lines.length - 1; i++) {
      if (/^\d{3}(?: |$)/.test(lines[i] as string)) {
        const reply = lines.slice(0, i + 1).join('\r\n');
        this.buffer = lines.slice(i + 1).join('\r\n');
        return reply;
      }
    }
    return null;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
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
function stuff(wire: Buffer): Buffer {
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
