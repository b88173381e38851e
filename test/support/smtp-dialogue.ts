import type net from 'node:net';

import { RawSmtpClient, toCrlf, type RawReply } from './raw-smtp-client.js';

export { toCrlf };

const REPLY_TIMEOUT_MS = 15_000;

/**
 * RawSmtpClient with replies as strings (lines joined with CRLF), for the tests written
 * against this interface.
 *
 * NOTE: new tests use RawSmtpClient directly; the remaining users of this adapter can move
 * to it and this file can go.
 */
export class SmtpDialogue {
  private constructor(private readonly client: RawSmtpClient) {}

  get socket(): net.Socket {
    return this.client.socket;
  }

  /** Connects and reads the greeting. */
  static async connect(port: number, host = '127.0.0.1'): Promise<SmtpDialogue> {
    const { client } = await RawSmtpClient.connect(port, host, REPLY_TIMEOUT_MS);
    return new SmtpDialogue(client);
  }

  /** Sends one command line and returns the reply. */
  async command(line: string): Promise<string> {
    return text(await this.client.command(line, REPLY_TIMEOUT_MS));
  }

  /** Writes bytes as they are, without waiting for a reply. */
  write(bytes: Buffer | string): void {
    this.client.write(bytes);
  }

  /** Sends a message after DATA (see RawSmtpClient.data) and returns the reply to the dot. */
  async data(message: Buffer): Promise<string> {
    return text(await this.client.data(message, REPLY_TIMEOUT_MS));
  }

  /** Waits for the next complete reply, such as `250 2.0.0 Ok`. */
  async reply(timeoutMs = REPLY_TIMEOUT_MS): Promise<string> {
    return text(await this.client.read(timeoutMs));
  }

  /** Closes the connection abruptly, as a crashing client would. */
  destroy(): void {
    this.client.destroy();
  }
}

function text(reply: RawReply): string {
  return reply.raw.split('\n').join('\r\n');
}
