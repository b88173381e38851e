/**
 * HACK: smtp-server 3.21.6 has no option for four things a lenient mail sink needs, so
 * this module wraps seven methods of its SMTPConnection class:
 *
 * - `_parseAddressCommand` accepts `MAIL FROM: a@example.test` and `RCPT TO: b@example.test`
 *   without angle brackets (the library replies 501), and remembers each address as sent,
 *   before the library converts the domain to Unicode.
 * - `handler_MAIL` starts a new transaction when MAIL FROM arrives while one is open (the
 *   library replies 503 "nested MAIL command"), and reports the discarded transaction.
 * - `handler_RSET`, `handler_HELO`, `handler_EHLO` and `_onTimeout` report the transaction
 *   that they discard, because the library resets a transaction without telling the
 *   application. The HELO/EHLO wrappers also keep the client name as sent, not lower-cased.
 * - `_getEnhancedStatusCode` sends the enhanced status code that the application chose for
 *   a reply, because a hook error only carries the basic code and the library picks the
 *   enhanced code from a fixed table (so 452 always gets 4.2.2).
 *
 * The wrappers change nothing for an SMTPServer that was not passed to
 * `observeConnections`, apart from the enhanced code override, which only applies while
 * `sendWithEnhancedCode` runs. Each wrapper calls the original method.
 * test/smtp/connection-patch.test.ts fails when the library starts to behave differently
 * without the patch. Remove the matching wrapper when smtp-server gains an option for it.
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
}

interface EnhancedCodeOverride {
  code: number;
  enhancedCode: string;
}

type PatchedMethod =
  | '_parseAddressCommand'
  | 'handler_MAIL'
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
  const match = /^\s*(MAIL\s+FROM|RCPT\s+TO)\s*:\s*(\S*)(.*)$/is.exec(command);
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
    const parsed = parseAddressCommand.call(this, rawName, command);
    if (parsed) {
      sentAddresses.set(parsed, extractAddress(command));
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
