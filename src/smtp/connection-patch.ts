/**
 * HACK: smtp-server 3.21.6 has no option for six things a lenient mail sink needs, so
 * this module wraps nine methods of its SMTPConnection class:
 *
 * - `_parseAddressCommand` accepts `MAIL FROM: a@example.test` and `RCPT TO: b@example.test`
 *   without angle brackets (the library replies 501), and a quoted local part such as
 *   `"john doe"@example.test` (RFC 5321 section 4.1.2 Quoted-string), which the library
 *   splits at the space and rejects with 501. It remembers each address as sent, before the
 *   library converts the domain to Unicode.
 * - `handler_MAIL` starts a new transaction when MAIL FROM arrives while one is open (the
 *   library replies 503 "nested MAIL command"), and reports the discarded transaction.
 * - `handler_RCPT` reports a RCPT TO that the library itself rejects (bad syntax, bad
 *   parameters) while a transaction is open, so that the delivery lists it as rejected.
 * - `handler_AUTH` replies 503 to AUTH inside a mail transaction, as RFC 4954 section 4
 *   requires. The library accepts it.
 * - `handler_RSET`, `handler_HELO`, `handler_EHLO` and `_onTimeout` report the transaction
 *   that they discard, because the library resets a transaction without telling the
 *   application. The HELO/EHLO wrappers also keep the client name as sent, not lower-cased.
 * - `_getEnhancedStatusCode` sends the enhanced status code that the application chose for
 *   a reply, because a hook error only carries the basic code and the library picks the
 *   enhanced code from a fixed table (so 452 always gets 4.2.2).
 *
 * The wrappers change nothing for an SMTPServer that was not passed to
 * `observeConnections`, apart from the enhanced code override, which only applies while
 * `sendWithEnhancedCode` runs. Each wrapper calls the original method, except the AUTH
 * wrapper when it rejects. test/smtp/connection-patch.test.ts fails when the library starts
 * to behave differently without the patch. Remove the matching wrapper when smtp-server
 * gains an option for it.
 */
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import type { SMTPServer, SMTPServerAddress, SMTPServerSession } from 'smtp-server';

/** Reason that a command discarded the open transaction. */
export type TransactionResetKind = 'client-reset' | 'new-transaction';

/** Receives what the wrapped methods report for one SMTPServer. */
export interface ConnectionObserver {
  /**
   * Runs synchronously when RSET, HELO or EHLO discarded an open transaction, or when
   * MAIL FROM is about to replace one.
   */
  transactionReset(session: SMTPServerSession, kind: TransactionResetKind, command: string): void;
  /** Runs once when the idle timeout closes the connection. */
  idleTimeout(session: SMTPServerSession): void;
  /**
   * Runs synchronously after the library rejected a RCPT TO command by itself, before any
   * hook, while a transaction is open. `argument` is the text after `RCPT TO:`.
   */
  rcptRejected(session: SMTPServerSession, argument: string, reply: LibraryReply): void;
}

/** A reply that smtp-server sent on its own. */
export interface LibraryReply {
  code: number;
  /** Enhanced status code (RFC 3463), or '' when the library sent none. */
  enhancedCode: string;
  message: string;
}

interface EnhancedCodeOverride {
  code: number;
  enhancedCode: string;
}

type PatchedMethod =
  | '_parseAddressCommand'
  | 'handler_MAIL'
  | 'handler_RCPT'
  | 'handler_AUTH'
  | 'handler_RSET'
  | 'handler_HELO'
  | 'handler_EHLO'
  | '_onTimeout'
  | '_getEnhancedStatusCode';

type CommandHandler = (this: SMTPConnection, command: Buffer, callback: () => void) => void;

const observers = new WeakMap<SMTPServer, ConnectionObserver>();
const sentAddresses = new WeakMap<SMTPServerAddress, string>();
const heloNames = new WeakMap<SMTPServerSession, string>();
const enhancedCodeOverrides = new WeakMap<SMTPServerSession, EnhancedCodeOverride>();

let installed = false;

/**
 * Turns on the lenient behaviour for `server` and routes its transaction resets and idle
 * timeouts to `observer`. Installs the wrappers on first use.
 */
export function observeConnections(server: SMTPServer, observer: ConnectionObserver): void {
  installConnectionPatches();
  observers.set(server, observer);
}

/**
 * Returns the address of a parsed MAIL FROM or RCPT TO as the client sent it, without
 * angle brackets and source route. smtp-server's `address.address` has the domain
 * converted to Unicode already.
 */
export function addressAsSent(address: SMTPServerAddress): string {
  return sentAddresses.get(address) ?? address.address;
}

/** Returns the HELO or EHLO name as the client sent it, or '' before HELO or EHLO. */
export function heloNameAsSent(session: SMTPServerSession): string {
  const sent = heloNames.get(session);
  const lowerCased = session.hostNameAppearsAs || '';
  return sent !== undefined && sent.toLowerCase() === lowerCased ? sent : lowerCased;
}

/**
 * Runs `sendReply`, which must make smtp-server send a reply with `code` synchronously
 * (a hook callback does), so that the reply carries `enhancedCode` instead of the one
 * from the library's table.
 */
export function sendWithEnhancedCode(
  session: SMTPServerSession,
  code: number,
  enhancedCode: string,
  sendReply: () => void,
): void {
  enhancedCodeOverrides.set(session, { code, enhancedCode });
  try {
    sendReply();
  } finally {
    enhancedCodeOverrides.delete(session);
  }
}

/**
 * Adds angle brackets around a bare address in MAIL FROM or RCPT TO, and folds runs of
 * spaces in the verb, so that `MAIL  FROM: a@example.test SIZE=10` reads as
 * `MAIL FROM:<a@example.test> SIZE=10`. Other commands come back unchanged.
 */
export function bracketBareAddress(command: string): string {
  const match = /^\s*(MAIL\s+FROM|RCPT\s+TO)\s*:\s*((?:"(?:[^"\\]|\\.)*")?\S*)(.*)$/is.exec(
    command,
  );
  if (!match) {
    return command;
  }
  const verb = (match[1] as string).replace(/\s+/, ' ');
  let address = match[2] as string;
  const rest = match[3] as string;
  if (address === '') {
    return command;
  }
  if (!address.startsWith('<')) {
    address = `<${address}>`;
  }
  return `${verb}:${address}${rest}`;
}

/**
 * A MAIL FROM or RCPT TO whose address has a quoted local part. The groups are the text up
 * to the local part (with an optional source route), the local part, and the domain up to
 * the closing bracket. The local part is a Quoted-string of RFC 5321 section 4.1.2, with
 * the non-ASCII characters that RFC 6531 allows.
 */
const QUOTED_LOCAL_PART =
  /^(\s*(?:MAIL\s+FROM|RCPT\s+TO)\s*:\s*<(?:@[^\s,:@<>]+(?:,@[^\s,:@<>]+)*:)?)("(?:[\x20\x21\x23-\x5b\x5d-\x7e\u00a0-\uffff]|\\[\x20-\x7e])*")(@[^\s<>]*)>/i;

/** A local part that the library accepts, standing in for a quoted one while it parses. */
const LOCAL_PART_PLACEHOLDER = 'quoted';

/**
 * Splits off a quoted local part that smtp-server cannot parse, and returns the command
 * with a plain local part in its place. Returns null for any other command.
 */
export function maskQuotedLocalPart(
  command: string,
): { masked: string; localPart: string; domain: string } | null {
  const match = QUOTED_LOCAL_PART.exec(command);
  if (!match) {
    return null;
  }
  const prefix = match[1] as string;
  const localPart = match[2] as string;
  const domain = (match[3] as string).slice(1);
  const rest = command.slice(match[0].length);
  return { masked: `${prefix}${LOCAL_PART_PLACEHOLDER}@${domain}>${rest}`, localPart, domain };
}

/** Returns the address between the angle brackets, without a source route (RFC 5321 C). */
function extractAddress(command: string): string {
  const match = /:\s*<([^<>]*)>/.exec(command);
  const inner = match ? (match[1] as string) : '';
  return inner.replace(/^@[^\s,:@]+(?:,@[^\s,:@]+)*:/, '');
}

/** Wraps the methods listed in the module comment. Safe to call more than once. */
export function installConnectionPatches(): void {
  if (installed) {
    return;
  }
  assertPatchable();
  installed = true;

  const proto = SMTPConnection.prototype;

  const parseAddressCommand = proto._parseAddressCommand;
  proto._parseAddressCommand = function (rawName, rawCommand) {
    if (!observers.has(this._server)) {
      return parseAddressCommand.call(this, rawName, rawCommand);
    }
    const command = bracketBareAddress((rawCommand || '').toString());
    const quoted = maskQuotedLocalPart(command);
    if (quoted === null) {
      const parsed = parseAddressCommand.call(this, rawName, command);
      if (parsed) {
        sentAddresses.set(parsed, extractAddress(command));
      }
      return parsed;
    }
    const parsed = parseAddressCommand.call(this, rawName, quoted.masked);
    if (parsed) {
      // The library converted the domain after the placeholder, so only the local part
      // changes back.
      parsed.address = quoted.localPart + parsed.address.slice(LOCAL_PART_PLACEHOLDER.length);
      sentAddresses.set(parsed, `${quoted.localPart}@${quoted.domain}`);
    }
    return parsed;
  };

  const handleMail = proto.handler_MAIL;
  proto.handler_MAIL = function (command, callback) {
    const observer = observers.get(this._server);
    const replacesOpenTransaction =
      observer !== undefined &&
      this.session.envelope.mailFrom !== false &&
      this._parseAddressCommand('mail from', command) !== false;
    if (observer && replacesOpenTransaction) {
      this._resetSession();
      observer.transactionReset(this.session, 'new-transaction', 'MAIL');
    }
    handleMail.call(this, command, callback);
  };

  const handleRcpt = proto.handler_RCPT;
  proto.handler_RCPT = function (command, callback) {
    const observer = observers.get(this._server);
    if (observer === undefined || this.session.envelope.mailFrom === false) {
      handleRcpt.call(this, command, callback);
      return;
    }
    // Only the library's own checks reply synchronously. A hook replies later.
    const replies = captureReplies(this, () => handleRcpt.call(this, command, callback));
    const rejection = replies.find((reply) => reply.code >= 400);
    if (rejection !== undefined) {
      const argument = command.toString().replace(/^\s*RCPT\s+TO\s*:?\s*/i, '');
      observer.rcptRejected(this.session, argument, rejection);
    }
  };

  const handleAuth = proto.handler_AUTH;
  proto.handler_AUTH = function (command, callback) {
    if (observers.has(this._server) && this.session.envelope.mailFrom !== false) {
      this.send(503, 'Error: AUTH not permitted during a mail transaction');
      callback();
      return;
    }
    handleAuth.call(this, command, callback);
  };

  proto.handler_RSET = reportingReset(proto.handler_RSET, 'RSET');
  proto.handler_HELO = keepingHeloName(reportingReset(proto.handler_HELO, 'HELO'));
  proto.handler_EHLO = keepingHeloName(reportingReset(proto.handler_EHLO, 'EHLO'));

  const onTimeout = proto._onTimeout;
  proto._onTimeout = function () {
    const wasClosing = this._closing;
    onTimeout.call(this);
    // The library closes the connection only when the client owed it input. A timeout
    // while a hook is still running just re-arms the timer.
    if (!wasClosing && this._closing) {
      observers.get(this._server)?.idleTimeout(this.session);
    }
  };

  const getEnhancedStatusCode = proto._getEnhancedStatusCode;
  proto._getEnhancedStatusCode = function (code, context) {
    const enhancedCode = getEnhancedStatusCode.call(this, code, context);
    const override = enhancedCodeOverrides.get(this.session);
    // An empty code means the library sends none here (disabled, 3xx or a greeting).
    if (enhancedCode === '' || override === undefined || override.code !== code) {
      return enhancedCode;
    }
    return override.enhancedCode;
  };
}

type SendMethod = SMTPConnection['send'];

/** Runs `run` and returns every reply that the connection sent while it ran. */
function captureReplies(connection: SMTPConnection, run: () => void): LibraryReply[] {
  const replies: LibraryReply[] = [];
  const send: SendMethod = connection.send;
  const capturing: SendMethod = function (this: SMTPConnection, code, data, context) {
    replies.push({
      code,
      enhancedCode: this._getEnhancedStatusCode(code, context),
      message: Array.isArray(data) ? data.join(' ') : (data ?? ''),
    });
    send.call(this, code, data, context);
  };
  connection.send = capturing;
  try {
    run();
  } finally {
    // Removing the own property uncovers the prototype's method again.
    delete (connection as Partial<SMTPConnection>).send;
  }
  return replies;
}

/** Wraps a command handler that may reset the session, to report a discarded transaction. */
function reportingReset(handler: CommandHandler, commandName: string): CommandHandler {
  return function (command, callback) {
    const envelope = this.session.envelope;
    handler.call(this, command, callback);
    // The handlers reset synchronously and replace the envelope object when they do. A
    // rejected command (such as EHLO without a name) keeps it.
    const discarded = envelope.mailFrom !== false && this.session.envelope !== envelope;
    if (discarded) {
      observers.get(this._server)?.transactionReset(this.session, 'client-reset', commandName);
    }
  };
}

/** Wraps HELO or EHLO to remember the client name before the library lower-cases it. */
function keepingHeloName(handler: CommandHandler): CommandHandler {
  return function (command, callback) {
    const name = command.toString().trim().split(/\s+/)[1];
    handler.call(this, command, callback);
    if (name !== undefined && observers.has(this._server)) {
      heloNames.set(this.session, name);
    }
  };
}

const PATCHED_METHODS: readonly PatchedMethod[] = [
  '_parseAddressCommand',
  'handler_MAIL',
  'handler_RCPT',
  'handler_AUTH',
  'handler_RSET',
  'handler_HELO',
  'handler_EHLO',
  '_onTimeout',
  '_getEnhancedStatusCode',
];

/** Throws when a method this module wraps no longer exists in smtp-server. */
function assertPatchable(): void {
  const proto = SMTPConnection.prototype as unknown as Record<string, unknown>;
  const missing = PATCHED_METHODS.filter((name) => typeof proto[name] !== 'function');
  if (missing.length > 0) {
    throw new Error(
      `smtp-server's SMTPConnection has no ${missing.join(', ')} method, so the lenient ` +
        'SMTP behaviour in src/smtp/connection-patch.ts cannot be installed. Check the ' +
        'smtp-server changelog and update or remove the patch.',
    );
  }
}
