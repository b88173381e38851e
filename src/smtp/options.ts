import type { Logger } from 'pino';

import type { EventBus } from '../delivery/events.js';
import type { DeliveryTarget } from '../delivery/types.js';
import type { SmtpStepGate } from './step-gate.js';
import type { TlsCertificate } from './tls.js';
import type { TranscriptLimits } from './transcript.js';

export const MIB = 1024 * 1024;

export interface SmtpAuthOptions {
  /** User names with their passwords that AUTH accepts, or null to accept any credentials. */
  users: Record<string, string> | null;
  /** When true, AUTH before STARTTLS gets 538. Needs `tls`. Default false. */
  requireTls?: boolean;
  /** When true, MAIL FROM without AUTH gets 530. Default false. */
  required?: boolean;
}

export interface SmtpEndpointOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** TCP port, or 0 for a free one. Default 1025. */
  port?: number;
  /** Destination of every delivery: the DeliveryPipeline in production. */
  target: DeliveryTarget;
  /** Receives the session events: opened, transcript batches, closed. */
  events: EventBus;
  /** Logger for the endpoint, usually a child with `module: 'smtp'`. */
  logger: Logger;
  /** Server name in the greeting and the EHLO reply. Default: the host name of the machine. */
  hostname?: string;
  /** Text after `ESMTP` in the greeting. Default `Mailscope`. */
  banner?: string;
  /** Maximum message size in bytes, advertised with SIZE. Default 50 MiB. */
  maxMessageSize?: number;
  /** Maximum size of the header block in bytes. Default 1 MiB. */
  maxHeaderSize?: number;
  /**
   * Maximum number of lines in the header block, continuation lines included. Default
   * 10,000.
   */
  maxHeaderLines?: number;
  /** Maximum length of one line of a message in bytes, without its CRLF. Default 1 MiB. */
  maxLineLength?: number;
  /** Cap on each session's recorded transcript. Default 20,000 lines and 2 MiB. */
  transcriptLimits?: TranscriptLimits;
  /** Folder for message bodies above `spillThreshold`. Default: the system temporary folder. */
  spillDir?: string;
  /** Message size in bytes above which the body goes to a temporary file. Default 1 MiB. */
  spillThreshold?: number;
  /** Certificate for STARTTLS, or null to offer no STARTTLS. Default null. */
  tls?: TlsCertificate | null;
  /** AUTH settings. Default: PLAIN and LOGIN accept any credentials, AUTH is optional. */
  auth?: SmtpAuthOptions;
  /**
   * Milliseconds without input from the client before the server closes the connection.
   * Default 300000, the 5-minute minimum that RFC 5321 section 4.5.3.2.7 sets for servers.
   */
  idleTimeoutMs?: number;
  /**
   * Milliseconds that `close()` waits for messages already past their final dot, and for
   * clients to close their side after the 421 reply. Default 5000.
   */
  shutdownTimeoutMs?: number;
  /** Decides the greeting, HELO, AUTH, MAIL FROM and DATA before the usual handling. */
  gate?: SmtpStepGate;
}

/** Throws on option values that the endpoint cannot work with. */
export function validateOptions(options: SmtpEndpointOptions): void {
  if (options.auth?.requireTls === true && (options.tls ?? null) === null) {
    throw new Error(
      'SMTP option auth.requireTls needs a TLS certificate (option tls), because without ' +
        'STARTTLS no client could authenticate.',
    );
  }
  const sizes = ['maxMessageSize', 'maxHeaderSize', 'maxLineLength', 'spillThreshold'] as const;
  for (const name of sizes) {
    const value = options[name];
    if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0)) {
      throw new Error(
        `SMTP option ${name} must be a positive whole number of bytes, not ${value}.`,
      );
    }
  }
  const lines = options.maxHeaderLines;
  if (lines !== undefined && (!Number.isSafeInteger(lines) || lines <= 0)) {
    throw new Error(`SMTP option maxHeaderLines must be a positive whole number, not ${lines}.`);
  }
}
