import os from 'node:os';
import { Readable } from 'node:stream';

import nodemailer from 'nodemailer';

import {
  EX_DATAERR,
  EX_IOERR,
  EX_NOHOST,
  EX_NOUSER,
  EX_OK,
  EX_SOFTWARE,
  EX_TEMPFAIL,
  EX_UNAVAILABLE,
  EX_USAGE,
  SENDMAIL_HELP,
  SendmailError,
  invalidAddress,
  parseSendmailArgs,
  qualifyAddress,
  type SendmailOptions,
} from './sendmail-args.js';
import {
  MessageInputError,
  hasField,
  headerRecipients,
  rewriteHeader,
  splitHeader,
  untilLoneDot,
} from './message-input.js';
import { isMailbox } from './mailbox-syntax.js';
import { relaySmtpSession } from './smtp-relay.js';

export interface SendmailIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** Time allowed to connect and for each SMTP reply, in milliseconds. */
const CONNECT_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 60_000;

/**
 * Runs `mailscope sendmail ARGS`: delivers the message on standard input to a running
 * Mailscope over SMTP, or relays an SMTP session for -bs. Returns a sysexits.h exit code
 * and writes the reason for any failure to standard error.
 */
export async function runSendmail(argv: string[], io: SendmailIo): Promise<number> {
  let options: SendmailOptions | 'help';
  try {
    options = parseSendmailArgs(argv, io.env);
  } catch (error) {
    return fail(io, error);
  }
  if (options === 'help') {
    io.stdout.write(SENDMAIL_HELP);
    return EX_OK;
  }
  if (options.mode === 'noop') {
    io.stdout.write(options.noopOutput);
    return EX_OK;
  }
  try {
    if (options.mode === 'smtp') {
      await relaySmtpSession(options.server, io.stdin, io.stdout);
      return EX_OK;
    }
    return await deliver(options, io);
  } catch (error) {
    return fail(io, error);
  }
}

async function deliver(options: SendmailOptions, io: SendmailIo): Promise<number> {
  const input = readInput(io.stdin);
  const source = options.ignoreDots ? input : untilLoneDot(input);
  const message = await splitHeader(source);

  const recipients = [...options.recipients];
  if (options.extractRecipients) {
    for (const address of headerRecipients(message.fields)) {
      if (!isMailbox(address)) throw invalidAddress(address, 'the To, Cc or Bcc header');
      recipients.push(qualifyAddress(address));
    }
  }
  if (recipients.length === 0) {
    throw new SendmailError(
      options.extractRecipients
        ? 'No recipient addresses found in the To, Cc or Bcc header or on the command line.'
        : 'No recipients: name them on the command line, or pass -t to read the header.',
      EX_USAGE,
    );
  }

  const removed = options.extractRecipients ? ['Bcc', 'Resent-Bcc'] : [];
  const added = hasField(message.fields, 'From') ? [] : [fromLine(options)];
  const header = rewriteHeader(message.headerBytes, removed, added);
  const raw = Readable.from(
    concatenate([header, message.bodyStart], { [Symbol.asyncIterator]: () => message.rest }),
  );

  const transport = nodemailer.createTransport({
    host: options.server.host,
    port: options.server.port,
    secure: false,
    // Mailscope offers STARTTLS with a self-signed certificate. Only a login needs it.
    ignoreTLS: options.auth === null,
    tls: { rejectUnauthorized: false },
    auth: options.auth ?? undefined,
    name: os.hostname(),
    connectionTimeout: CONNECT_TIMEOUT_MS,
    greetingTimeout: CONNECT_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
  });
  try {
    const info = await transport.sendMail({
      envelope: { from: options.sender, to: recipients },
      raw,
    });
    const rejected = info.rejected.map(String);
    if (rejected.length > 0) {
      io.stderr.write(
        `mailscope sendmail: Mailscope rejected the recipients ${rejected.join(', ')}, so ` +
          `the message went only to ${info.accepted.map(String).join(', ')}.\n`,
      );
      return EX_NOUSER;
    }
    return EX_OK;
  } catch (error) {
    throw describeSmtpError(error, options);
  } finally {
    transport.close();
  }
}

/**
 * Returns the From line added to a message that has none. The sender has passed
 * isMailbox and the full name has no line breaks, so neither can end the field early.
 */
function fromLine(options: SendmailOptions): string {
  const address = options.sender === '' ? 'MAILER-DAEMON' : options.sender;
  if (options.fullName === null) return `From: ${address}`;
  const quoted = options.fullName.replace(/[\\"]/g, '\\$&');
  return `From: "${quoted}" <${address}>`;
}

async function* concatenate(first: Buffer[], rest: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for (const chunk of first) if (chunk.length > 0) yield chunk;
  yield* rest;
}

/** Reads standard input as Buffers; a read error becomes an EX_IOERR failure. */
async function* readInput(stdin: NodeJS.ReadableStream): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of stdin) {
      yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    }
  } catch (error) {
    throw new SendmailError(
      `Reading the message from standard input failed: ${(error as Error).message}`,
      EX_IOERR,
    );
  }
}

interface NodemailerError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
}

/** Maps a nodemailer failure to the sysexits.h code that sendmail gives for it. */
function describeSmtpError(error: unknown, options: SendmailOptions): SendmailError {
  if (error instanceof SendmailError) return error;
  const smtpError = error as NodemailerError;
  const server = `${options.server.host}:${options.server.port}`;
  const reply = smtpError.response ? `: ${smtpError.response}` : '';

  if (smtpError.responseCode !== undefined) {
    const temporary = smtpError.responseCode < 500;
    const code = temporary
      ? EX_TEMPFAIL
      : smtpError.code === 'EENVELOPE'
        ? EX_NOUSER
        : EX_UNAVAILABLE;
    return new SendmailError(`Mailscope at ${server} did not accept the message${reply}`, code);
  }
  if (smtpError.code === 'EDNS') {
    return new SendmailError(
      `Could not resolve the host of ${server}: ${smtpError.message}`,
      EX_NOHOST,
    );
  }
  if (['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EPROTOCOL'].includes(smtpError.code ?? '')) {
    // Not EX_TEMPFAIL, which means the message is queued for a later attempt. This
    // command keeps no queue, so the message is lost.
    return new SendmailError(
      `Could not deliver to Mailscope at ${server}: ${smtpError.message}. Start Mailscope, ` +
        'or point -S or MAILSCOPE_SENDMAIL_SMTP at its SMTP address.',
      EX_UNAVAILABLE,
    );
  }
  if (smtpError.code === 'EAUTH') {
    return new SendmailError(
      `Mailscope at ${server} rejected the MAILSCOPE_SMTP_AUTH credentials${reply}`,
      EX_UNAVAILABLE,
    );
  }
  return new SendmailError(`Sending failed: ${smtpError.message}`, EX_SOFTWARE);
}

function fail(io: SendmailIo, error: unknown): number {
  if (error instanceof SendmailError) {
    io.stderr.write(`mailscope sendmail: ${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof MessageInputError) {
    io.stderr.write(`mailscope sendmail: ${error.message}\n`);
    return EX_DATAERR;
  }
  io.stderr.write(`mailscope sendmail: ${(error as Error).stack ?? String(error)}\n`);
  return EX_SOFTWARE;
}
