import type SMTPConnection from 'nodemailer/lib/smtp-connection';

import type { RelaySettings } from './settings.js';

/** Time limits of one relay connection, in milliseconds. */
export interface RelayTimeouts {
  connectionMs: number;
  greetingMs: number;
  socketMs: number;
}

export const DEFAULT_RELAY_TIMEOUTS: RelayTimeouts = {
  connectionMs: 10_000,
  greetingMs: 10_000,
  socketMs: 30_000,
};

/** The relay server's replies to one transaction. */
export interface RelayReply {
  /** The server's reply to the end of data, such as `250 2.0.0 Ok: queued as X`. */
  response: string;
  accepted: string[];
  /** Recipients the server rejected at RCPT TO, with its reply. */
  rejected: Array<{ address: string; reply: string }>;
}

/** A failed relay transaction, with the server reply when the server sent one. */
export class RelayError extends Error {
  override name = 'RelayError';

  constructor(
    message: string,
    readonly reply: string | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Sends `raw` to the relay server in one SMTP transaction. The bytes go out as stored,
 * except what SMTP itself requires of DATA: nodemailer dot-stuffs lines that start with
 * a dot, turns a bare CR or LF into CRLF, and ends a message that lacks a final CRLF with
 * one. A message received over SMTP already has CRLF line ends, so it arrives unchanged.
 */
export async function sendRawMessage(
  settings: RelaySettings,
  envelope: { from: string; to: string[] },
  raw: Buffer,
  timeouts: RelayTimeouts = DEFAULT_RELAY_TIMEOUTS,
): Promise<RelayReply> {
  const server = settings.server;
  if (server === null) throw new RelayError('No relay server is configured.', null);

  // Imported on the first release, so a server that never relays keeps the client out of memory.
  const { default: SMTPConnectionClass } = await import('nodemailer/lib/smtp-connection');
  const connection = new SMTPConnectionClass({
    host: server.host,
    port: server.port,
    secure: settings.tls === 'tls',
    requireTLS: settings.tls === 'starttls',
    ignoreTLS: settings.tls === 'none',
    tls: { rejectUnauthorized: !settings.allowSelfSigned },
    connectionTimeout: timeouts.connectionMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
    allowInternalNetworkInterfaces: true,
  });
  // SMTPConnection reports a failed connect, TLS handshake or socket only as an `error`
  // event, and some failures only as `end`; every step races against them.
  const failed = new Promise<never>((_resolve, reject) => {
    connection.once('error', (error: Error) => reject(toRelayError('connection', error)));
    connection.once('end', () =>
      reject(new RelayError('The relay server closed the connection.', null)),
    );
  });
  failed.catch(() => undefined);
  const step = <T>(run: (resolve: (value: T) => void, reject: (error: Error) => void) => void) =>
    Promise.race([new Promise<T>(run), failed]);

  let finished = false;
  try {
    await step<void>((resolve) => connection.connect(() => resolve()));
    if (settings.auth !== null) {
      const credentials = { user: settings.auth.user, pass: settings.auth.password };
      await step<void>((resolve, reject) => {
        connection.login(credentials, (error) =>
          error ? reject(toRelayError('AUTH', error)) : resolve(),
        );
      });
    }
    const smtpEnvelope = {
      from: envelope.from,
      to: envelope.to,
      size: raw.length,
      use8BitMime: hasEightBitBytes(raw),
    };
    const info = await step<SMTPConnection.SentMessageInfo>((resolve, reject) => {
      connection.send(smtpEnvelope, raw, (error, result) =>
        error || result === undefined
          ? reject(toRelayError('send', error ?? new Error('no result')))
          : resolve(result),
      );
    });
    // QUIT ends the session politely; the server closes the connection after its reply.
    finished = true;
    connection.quit();
    return {
      response: info.response,
      accepted: info.accepted.map(String),
      rejected: (info.rejectedErrors ?? []).map((error, index) => ({
        address: String(info.rejected[index] ?? ''),
        reply: error.response ?? error.message,
      })),
    };
  } finally {
    if (!finished) connection.close();
  }
}

function hasEightBitBytes(raw: Buffer): boolean {
  return raw.some((byte) => byte >= 0x80);
}

function toRelayError(stage: string, error: Error & { response?: string }): RelayError {
  const reply = typeof error.response === 'string' ? error.response : null;
  const detail = reply ?? error.message;
  return new RelayError(`The relay server failed the ${stage} step: ${detail}`, reply, {
    cause: error,
  });
}
