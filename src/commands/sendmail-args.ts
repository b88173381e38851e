import os from 'node:os';

import { parseListenAddress, type ListenAddress } from '../config.js';
import { isMailbox } from './mailbox-syntax.js';

/** Exit codes from BSD sysexits.h, which sendmail and the programs that call it use. */
export const EX_OK = 0;
export const EX_USAGE = 64;
export const EX_DATAERR = 65;
export const EX_NOUSER = 67;
export const EX_NOHOST = 68;
export const EX_UNAVAILABLE = 69;
export const EX_SOFTWARE = 70;
export const EX_IOERR = 74;
export const EX_TEMPFAIL = 75;
export const EX_PROTOCOL = 76;

/** A command line that sendmail cannot run, with the exit code it ends with. */
export class SendmailError extends Error {
  override name = 'SendmailError';

  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface SendmailOptions {
  /** `deliver` reads one message from standard input; `smtp` (-bs) relays an SMTP session. */
  mode: 'deliver' | 'smtp' | 'noop';
  /** SMTP address of the running Mailscope to deliver to. */
  server: ListenAddress;
  /** Envelope sender (MAIL FROM); the empty string is the null sender `<>`. */
  sender: string;
  /** Display name for the From header that Mailscope adds when the message has none. */
  fullName: string | null;
  /** -t: take the recipients from the To, Cc and Bcc headers too. */
  extractRecipients: boolean;
  /** -i or -oi: a line with a single dot does not end the message. */
  ignoreDots: boolean;
  /** Recipients named on the command line. */
  recipients: string[];
  /** SMTP AUTH credentials, from MAILSCOPE_SMTP_AUTH, or null to send without AUTH. */
  auth: { user: string; pass: string } | null;
  /** Text printed for -bp (the mail queue), which is always empty. */
  noopOutput: string;
}

export const SENDMAIL_HELP = `Usage: mailscope sendmail [options] [recipient ...]

Reads a message from standard input and delivers it over SMTP to a running Mailscope,
like sendmail(8). It also runs as "sendmail" when installed or linked under that name.

Options:
  -S HOST:PORT, --smtp-addr HOST:PORT
                  SMTP address of Mailscope (MAILSCOPE_SENDMAIL_SMTP, else
                  MAILSCOPE_SMTP), default 127.0.0.1:1025
  -t              add the recipients of the To, Cc and Bcc headers (Resent-To,
                  Resent-Cc and Resent-Bcc when the message has Resent- fields) and
                  remove the Bcc header from the message sent
  -f SENDER, -r SENDER
                  envelope sender (MAIL FROM); "<>" or "" for the null sender;
                  default the login user at this host's name
  -F NAME         display name for the From header added when the message has none;
                  it cannot contain line breaks
  -i, -oi         a line with a single dot does not end the message
  -bs             speak SMTP on standard input and output, relayed to Mailscope
  -bm             read the message from standard input (the default)
  -bp, -bi, -q    do nothing and exit 0: Mailscope keeps no queue or aliases
  --help          print this help and exit

A sender or recipient without a domain, such as root, gets this host's name as its
domain. An invalid address stops the command with exit code 64.

Other sendmail options (-o*, -v, -n, -m, -U, -G, -B, -N, -R, -V, -X, -C, -O, -L, -h, -p,
-A, -d) are accepted and ignored. MAILSCOPE_SMTP_AUTH=USER:PASS logs in with AUTH.
Exit codes follow sysexits.h: 0 on success, 64 for a usage error or an invalid
address, 65 for an invalid message, 67 when a recipient is rejected, 69 when Mailscope
cannot be reached or rejects the message with 5xx, 74 when standard input cannot be
read, 75 when Mailscope answers with 4xx. No message is queued: on any failure it is
not delivered.
`;

/** Options that take a value, either in the same argument (-fa@b) or the next one (-f a@b). */
const VALUE_OPTIONS = new Set(['A', 'B', 'b', 'C', 'd', 'F', 'f', 'h', 'L', 'N', 'O', 'o']);
VALUE_OPTIONS.add('p').add('R').add('r').add('S').add('V').add('X');
/** Options without a value that change nothing here. */
const IGNORED_FLAGS = new Set(['c', 'e', 'G', 'I', 'm', 'n', 's', 'T', 'U', 'v']);

/** Returns the help text, or parses a sendmail command line into options. */
export function parseSendmailArgs(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): SendmailOptions | 'help' {
  const options: SendmailOptions = {
    mode: 'deliver',
    server: defaultServer(env),
    sender: defaultSender(),
    fullName: null,
    extractRecipients: false,
    ignoreDots: false,
    recipients: [],
    auth: parseAuth(env.MAILSCOPE_SMTP_AUTH),
    noopOutput: '',
  };

  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    if (arg === '--') {
      for (const recipient of argv.slice(index + 1)) {
        options.recipients.push(checkRecipient(recipient));
      }
      break;
    }
    if (arg === '--help') return 'help';
    if (arg.startsWith('--smtp-addr')) {
      const inline = arg.startsWith('--smtp-addr=') ? arg.slice('--smtp-addr='.length) : null;
      if (inline === null && arg !== '--smtp-addr') throw usage(`Unknown option ${arg}.`);
      const value = inline ?? argv[++index];
      if (value === undefined) throw usage('--smtp-addr needs a value, such as 127.0.0.1:1025.');
      options.server = parseServer(value, '--smtp-addr');
      continue;
    }
    if (arg.startsWith('--')) throw usage(`Unknown option ${arg}.`);
    if (!arg.startsWith('-') || arg === '-') {
      options.recipients.push(checkRecipient(arg));
      continue;
    }

    // Short options in getopt style: flags may be grouped (-ti), and an option that takes
    // a value takes the rest of the argument or else the next argument.
    for (let position = 1; position < arg.length; position++) {
      const letter = arg[position] as string;
      if (VALUE_OPTIONS.has(letter)) {
        let value = arg.slice(position + 1);
        if (value === '') {
          const next = argv[++index];
          if (next === undefined) throw usage(`Option -${letter} needs a value.`);
          value = next;
        }
        applyValueOption(options, letter, value);
        break;
      }
      if (letter === 't') options.extractRecipients = true;
      else if (letter === 'i') options.ignoreDots = true;
      else if (letter === 'q') {
        // -q runs the queue, with an optional interval such as -q15m attached.
        options.mode = 'noop';
        break;
      } else if (!IGNORED_FLAGS.has(letter)) {
        throw usage(`Unknown option -${letter} in ${arg}.`);
      }
    }
  }
  return options;
}

function applyValueOption(options: SendmailOptions, letter: string, value: string): void {
  switch (letter) {
    case 'S':
      options.server = parseServer(value, '-S');
      return;
    case 'f':
    case 'r':
      options.sender = parseSender(value, `-${letter}`);
      return;
    case 'F':
      options.fullName = parseFullName(value);
      return;
    case 'o':
      // -oi is the old spelling of -i; the other -o options configure a real MTA.
      if (value === 'i') options.ignoreDots = true;
      return;
    case 'b':
      applyMode(options, value);
      return;
    default:
      return;
  }
}

function applyMode(options: SendmailOptions, value: string): void {
  if (value === 'm') options.mode = 'deliver';
  else if (value === 's') options.mode = 'smtp';
  else if (value === 'p') {
    options.mode = 'noop';
    options.noopOutput = 'Mail queue is empty\n';
  } else if (value === 'i') options.mode = 'noop';
  else {
    throw usage(
      `-b${value} is not supported; Mailscope's sendmail supports -bm, -bs, -bp and -bi.`,
    );
  }
}

/**
 * Reads `-f` values: `<a@b>` and `a@b` alike, and `<>` or an empty value for the null
 * sender. Throws EX_USAGE for anything else that is no mailbox.
 */
function parseSender(value: string, option: string): string {
  const trimmed = value.trim();
  const address =
    trimmed.startsWith('<') && trimmed.endsWith('>') ? trimmed.slice(1, -1).trim() : trimmed;
  if (address === '') return address;
  if (isMailbox(address)) return qualifyAddress(address);
  throw invalidAddress(value, `the ${option} sender`);
}

/** Returns a recipient argument, or throws EX_USAGE when it is no mailbox. */
function checkRecipient(value: string): string {
  if (isMailbox(value)) return qualifyAddress(value);
  throw invalidAddress(value, 'the recipient');
}

/**
 * Adds this host's name to a local name without a domain, such as `root`, as sendmail
 * does. Mailscope's SMTP server rejects addresses without a domain.
 */
export function qualifyAddress(address: string): string {
  return address.includes('@') ? address : `${address}@${os.hostname()}`;
}

/**
 * Returns an invalid-address error. The value is shown as a JSON string, so that line
 * breaks and other control characters in it are visible.
 */
export function invalidAddress(value: string, role: string): SendmailError {
  return usage(
    `invalid address ${JSON.stringify(value)} for ${role}: expected a mailbox such as ` +
      'user@example.test.',
  );
}

/**
 * Reads the -F display name. A line break in it would end the From header and start
 * another one, so such a value is rejected rather than changed.
 */
function parseFullName(value: string): string {
  if (!/[\r\n]/.test(value)) return value;
  throw usage(`Invalid -F value ${JSON.stringify(value)}: a full name cannot contain line breaks.`);
}

function defaultSender(): string {
  let user = 'nobody';
  try {
    user = os.userInfo().username;
  } catch {
    // Some containers run under a uid with no passwd entry; keep the fallback name.
  }
  return `${user}@${os.hostname()}`;
}

function defaultServer(env: NodeJS.ProcessEnv): ListenAddress {
  const fromSendmail = env.MAILSCOPE_SENDMAIL_SMTP;
  if (fromSendmail) return parseServer(fromSendmail, 'MAILSCOPE_SENDMAIL_SMTP');
  if (env.MAILSCOPE_SMTP) return parseServer(env.MAILSCOPE_SMTP, 'MAILSCOPE_SMTP');
  return { host: '127.0.0.1', port: 1025 };
}

/**
 * Parses HOST:PORT. A wildcard listen address (0.0.0.0 or ::), as MAILSCOPE_SMTP may hold,
 * is reached on loopback.
 */
function parseServer(value: string, source: string): ListenAddress {
  // Port 0 lets a listening server pick a free port, but a client cannot connect to it.
  const invalid = usage(
    `Invalid ${source} value "${value}": expected HOST:PORT with a port from 1 to 65535, ` +
      'such as 127.0.0.1:1025.',
  );
  let address: ListenAddress;
  try {
    address = parseListenAddress(value, { host: '127.0.0.1', port: 1025 }, source);
  } catch {
    throw invalid;
  }
  if (address.port === 0) throw invalid;
  if (address.host === '0.0.0.0') return { ...address, host: '127.0.0.1' };
  if (address.host === '::') return { ...address, host: '::1' };
  return address;
}

function parseAuth(value: string | undefined): { user: string; pass: string } | null {
  if (!value) return null;
  const colon = value.indexOf(':');
  if (colon <= 0) throw usage('Invalid MAILSCOPE_SMTP_AUTH value: expected USER:PASSWORD.');
  return { user: value.slice(0, colon), pass: value.slice(colon + 1) };
}

function usage(message: string): SendmailError {
  return new SendmailError(`${message} Run mailscope sendmail --help for the options.`, EX_USAGE);
}
