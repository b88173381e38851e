import { isIPv4 } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { defaultDataDir } from './paths.js';
import {
  parseRelayOptions,
  RELAY_CLI_OPTIONS,
  RELAY_HELP,
  relayOptionFields,
} from './relay/options.js';
import type { RelayField, RelaySettings } from './relay/settings.js';
import { parseWebhookOptions, WEBHOOK_CLI_OPTIONS, WEBHOOK_HELP } from './webhook/options.js';
import type { WebhookOptions } from './webhook/webhook.js';

/** Host and port to listen on. Port 0 lets the system pick a free port. */
export interface ListenAddress {
  host: string;
  port: number;
}

export interface Config {
  smtp: ListenAddress;
  http: ListenAddress;
  dataDir: string;
  /** Database file, or `:memory:` for a throwaway run. */
  dbPath: string;
  /** Largest message accepted, in bytes. */
  maxMessageSize: number;
  /** Accepted recipients per transaction. */
  maxRecipients: number;
  /** Basic auth credentials for HTTP, or null to serve without a password. */
  httpAuth: { user: string; password: string } | null;
  /** Fixed SMTP credentials, or null to accept any user name and password. */
  smtpAuth: { user: string; password: string } | null;
  /** Rejects AUTH before STARTTLS with 538 instead of accepting it. */
  smtpAuthRequireTls: boolean;
  /** Certificate and key files for STARTTLS; null makes and keeps a self-signed pair. */
  tlsCertFile: string | null;
  tlsKeyFile: string | null;
  /** Turns STARTTLS off altogether. */
  noStartTls: boolean;
  /** Most messages kept; older ones are pruned. */
  maxMessages: number;
  /** Oldest message age kept, in milliseconds, or null for no age limit. */
  maxAgeMs: number | null;
  logLevel: string;
  /** Relay settings for released messages. Release is off when missing or its server is null. */
  relay?: RelaySettings;
  /**
   * Fields of `relay` set by a CLI option or variable, which win over the stored settings.
   * When missing, every field of `relay` wins.
   */
  relayOptionFields?: readonly RelayField[];
  /** The webhook for committed messages; off when missing or null. */
  webhook?: WebhookOptions | null;
  /** JSON file of failure rules loaded at start; none when missing or null. */
  rulesFile?: string | null;
}

export const DEFAULT_SMTP: ListenAddress = { host: '127.0.0.1', port: 1025 };
export const DEFAULT_HTTP: ListenAddress = { host: '127.0.0.1', port: 8025 };
export const DEFAULT_MAX_MESSAGE_SIZE = 50 * 1024 * 1024;
export const DEFAULT_MAX_RECIPIENTS = 1000;
export const DEFAULT_MAX_MESSAGES = 10_000;

/** An invalid option or environment value. The message names it and the expected form. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const HELP = `Usage: mailscope [options]
       mailscope sendmail [options] [recipient ...]
       mailscope import [options] PATH ...

Catches the email an application sends: listens for SMTP, stores every delivery in
SQLite and serves the inspector over HTTP.

Commands (each has --help):
  sendmail                  deliver a message from standard input to a running
                            Mailscope, like sendmail(8); also runs under the name
                            sendmail
  import                    store .eml files, mbox files and Maildir folders

Options (environment variable in brackets):
  --smtp HOST:PORT          SMTP address (MAILSCOPE_SMTP), default 127.0.0.1:1025;
                            port 0 picks a free port
  --http HOST:PORT          HTTP address (MAILSCOPE_HTTP), default 127.0.0.1:8025
  --http-auth USER:PASS     require these credentials (HTTP basic auth) for the UI
                            and the API (MAILSCOPE_HTTP_AUTH); /livez and /readyz
                            stay open
  --http-no-auth            allow --http on an address other than loopback without
                            --http-auth (MAILSCOPE_HTTP_NO_AUTH=1); without one of
                            the two, such an address is an error, because anyone who
                            can reach it could read every message
  --db PATH                 database file, or :memory: for a throwaway run
                            (MAILSCOPE_DB), default DATA_DIR/mailscope.db
  --data-dir PATH           folder for the database, certificate and temporary
                            files (MAILSCOPE_DATA_DIR), default the user's data folder
  --max-message-size BYTES  largest message accepted (MAILSCOPE_MAX_MESSAGE_SIZE),
                            default 52428800 (50 MiB); suffixes K, M and G allowed
  --max-recipients N        recipients per message (MAILSCOPE_MAX_RECIPIENTS),
                            default 1000
  --smtp-auth USER:PASS     require AUTH with these SMTP credentials
                            (MAILSCOPE_SMTP_AUTH); by default AUTH is optional and
                            any credentials are accepted
  --smtp-auth-require-tls   refuse AUTH before STARTTLS (MAILSCOPE_SMTP_AUTH_REQUIRE_TLS=1)
  --tls-cert PATH           PEM certificate for STARTTLS (MAILSCOPE_TLS_CERT)
  --tls-key PATH            PEM private key for STARTTLS (MAILSCOPE_TLS_KEY); without
                            both, a self-signed pair is made in DATA_DIR/tls
  --no-starttls             do not offer STARTTLS (MAILSCOPE_NO_STARTTLS=1)
  --max-messages N          messages kept before the oldest are pruned
                            (MAILSCOPE_MAX_MESSAGES), default 10000
  --max-age DURATION        prune messages older than this, such as 12h or 7d
                            (MAILSCOPE_MAX_AGE), default no limit
${RELAY_HELP}${WEBHOOK_HELP}  --rules FILE              load failure rules from this JSON file at start
                            (MAILSCOPE_RULES); each replaces the stored rule with
                            the same id
  --log-level LEVEL         fatal, error, warn, info, debug, trace or silent
                            (MAILSCOPE_LOG_LEVEL), default info
  -h, --help                print this help and exit
  -v, --version             print the version and exit
`;

const OPTIONS = {
  smtp: { type: 'string' },
  http: { type: 'string' },
  'http-auth': { type: 'string' },
  'http-no-auth': { type: 'boolean' },
  db: { type: 'string' },
  'data-dir': { type: 'string' },
  'max-message-size': { type: 'string' },
  'max-recipients': { type: 'string' },
  'smtp-auth': { type: 'string' },
  'smtp-auth-require-tls': { type: 'boolean' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'no-starttls': { type: 'boolean' },
  'max-messages': { type: 'string' },
  'max-age': { type: 'string' },
  'log-level': { type: 'string' },
  ...RELAY_CLI_OPTIONS,
  ...WEBHOOK_CLI_OPTIONS,
  rules: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

export type CliRequest = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; config: Config };

/** Reads the command line and the environment; an option wins over its variable. */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): CliRequest {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true }));
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}. Run mailscope --help for the options.`);
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  const pick = (option: string | undefined, variable: string): string | undefined =>
    option ?? (env[variable] === '' ? undefined : env[variable]);
  // Error messages name what the user set: the option, or else its environment variable.
  const source = (option: keyof typeof values, variable: string): string =>
    values[option] !== undefined ? `--${option}` : variable;
  const flag = (option: boolean | undefined, variable: string): boolean =>
    option ?? parseBoolean(env[variable], variable);

  const dataDir = path.resolve(
    pick(values['data-dir'], 'MAILSCOPE_DATA_DIR') ?? defaultDataDir(env),
  );
  const db = pick(values.db, 'MAILSCOPE_DB');
  const auth = pick(values['smtp-auth'], 'MAILSCOPE_SMTP_AUTH');
  const httpAuth = pick(values['http-auth'], 'MAILSCOPE_HTTP_AUTH');
  const maxAge = pick(values['max-age'], 'MAILSCOPE_MAX_AGE');
  const config: Config = {
    smtp: parseListenAddress(
      pick(values.smtp, 'MAILSCOPE_SMTP'),
      DEFAULT_SMTP,
      source('smtp', 'MAILSCOPE_SMTP'),
    ),
    http: parseListenAddress(
      pick(values.http, 'MAILSCOPE_HTTP'),
      DEFAULT_HTTP,
      source('http', 'MAILSCOPE_HTTP'),
    ),
    dataDir,
    dbPath: db === ':memory:' ? db : path.resolve(db ?? path.join(dataDir, 'mailscope.db')),
    maxMessageSize: parseByteSize(
      pick(values['max-message-size'], 'MAILSCOPE_MAX_MESSAGE_SIZE'),
      DEFAULT_MAX_MESSAGE_SIZE,
      source('max-message-size', 'MAILSCOPE_MAX_MESSAGE_SIZE'),
    ),
    maxRecipients: parseCount(
      pick(values['max-recipients'], 'MAILSCOPE_MAX_RECIPIENTS'),
      DEFAULT_MAX_RECIPIENTS,
      source('max-recipients', 'MAILSCOPE_MAX_RECIPIENTS'),
    ),
    httpAuth: httpAuth === undefined ? null : parseCredentials(httpAuth, '--http-auth'),
    smtpAuth: auth === undefined ? null : parseCredentials(auth, '--smtp-auth'),
    smtpAuthRequireTls: flag(values['smtp-auth-require-tls'], 'MAILSCOPE_SMTP_AUTH_REQUIRE_TLS'),
    tlsCertFile: pick(values['tls-cert'], 'MAILSCOPE_TLS_CERT') ?? null,
    tlsKeyFile: pick(values['tls-key'], 'MAILSCOPE_TLS_KEY') ?? null,
    noStartTls: flag(values['no-starttls'], 'MAILSCOPE_NO_STARTTLS'),
    maxMessages: parseCount(
      pick(values['max-messages'], 'MAILSCOPE_MAX_MESSAGES'),
      DEFAULT_MAX_MESSAGES,
      source('max-messages', 'MAILSCOPE_MAX_MESSAGES'),
    ),
    maxAgeMs: maxAge === undefined ? null : parseDuration(maxAge),
    logLevel: parseLogLevel(pick(values['log-level'], 'MAILSCOPE_LOG_LEVEL')),
    relay: parseRelayOptions(values, pick, flag),
    relayOptionFields: relayOptionFields(values, pick),
    webhook: parseWebhookOptions(values, pick),
    rulesFile: optionalPath(pick(values.rules, 'MAILSCOPE_RULES')),
  };

  if ((config.tlsCertFile === null) !== (config.tlsKeyFile === null)) {
    throw new ConfigError('--tls-cert and --tls-key must be given together.');
  }
  const httpNoAuth = flag(values['http-no-auth'], 'MAILSCOPE_HTTP_NO_AUTH');
  if (!isLoopbackHost(config.http.host) && config.httpAuth === null && !httpNoAuth) {
    throw new ConfigError(
      `--http ${config.http.host}:${config.http.port} is not a loopback address, so other ` +
        'machines could read every message. Set --http-auth USER:PASS, or pass ' +
        '--http-no-auth to serve it without a password.',
    );
  }
  return { kind: 'run', config };
}

/**
 * True for a host that only this machine reaches: localhost, 127.0.0.0/8 and ::1. Any
 * other name counts as reachable from outside, since it may resolve to any address.
 */
export function isLoopbackHost(host: string): boolean {
  const lower = host.toLowerCase();
  if (lower === 'localhost' || lower === '::1') return true;
  const ipv4 = lower.startsWith('::ffff:') ? lower.slice('::ffff:'.length) : lower;
  return isIPv4(ipv4) && ipv4.startsWith('127.');
}

/** Parses `HOST:PORT`, `[IPv6]:PORT`, `:PORT` or `PORT`. */
export function parseListenAddress(
  value: string | undefined,
  fallback: ListenAddress,
  option: string,
): ListenAddress {
  if (value === undefined) return fallback;
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port > 65535) {
    throw new ConfigError(
      `Invalid ${option} value "${value}": expected HOST:PORT with a port from 0 to 65535, ` +
        'such as 127.0.0.1:1025.',
    );
  }
  const host = match[1] ?? match[2];
  return { host: host ? host : fallback.host, port };
}

/** Parses a byte count with an optional K, M or G suffix (powers of 1024). */
export function parseByteSize(
  value: string | undefined,
  fallback: number,
  option = '--max-message-size',
): number {
  if (value === undefined) return fallback;
  const match = /^(\d+)\s*([kmg]?)i?b?$/i.exec(value.trim());
  if (!match) {
    throw new ConfigError(
      `Invalid ${option} value "${value}": expected a byte count such as 52428800 or 50M.`,
    );
  }
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[
    (match[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g'
  ];
  const bytes = Number(match[1]) * unit;
  if (bytes < 1 || bytes > MAX_MESSAGE_SIZE_LIMIT) {
    throw new ConfigError(
      `Invalid ${option} value "${value}": it must be from 1 byte to ` +
        `${MAX_MESSAGE_SIZE_LIMIT} bytes, the largest value SQLite stores by default.`,
    );
  }
  return bytes;
}

/**
 * The largest --max-message-size: SQLite's default SQLITE_MAX_LENGTH, the size limit of
 * one string or BLOB, which the raw source of a message must fit in.
 */
export const MAX_MESSAGE_SIZE_LIMIT = 1_000_000_000;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function parseLogLevel(value: string | undefined): string {
  if (value === undefined) return 'info';
  const level = value.toLowerCase();
  if (!LOG_LEVELS.includes(level)) {
    throw new ConfigError(
      `Invalid --log-level value "${value}": expected one of ${LOG_LEVELS.join(', ')}.`,
    );
  }
  return level;
}

/** Reads an on/off environment variable; an unset or empty variable is off. */
function parseBoolean(value: string | undefined, variable: string): boolean {
  const normalized = (value ?? '').trim().toLowerCase();
  if (['', '0', 'false', 'no', 'off'].includes(normalized)) return false;
  if (['1', 'true', 'yes', 'on'].includes(normalized)) return true;
  throw new ConfigError(
    `Invalid ${variable} value "${value}": expected 1, true, yes or on, or 0, false, no or off.`,
  );
}

/** Parses a duration such as `90s`, `30m`, `12h` or `7d` into milliseconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+)\s*([smhd])$/i.exec(value.trim());
  if (!match || Number(match[1]) === 0) {
    throw new ConfigError(
      `Invalid --max-age value "${value}": expected a positive number with s, m, h or d, such as 7d.`,
    );
  }
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    (match[2] as string).toLowerCase() as 's' | 'm' | 'h' | 'd'
  ];
  return Number(match[1]) * unit;
}

function parseCount(value: string | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  const count = Number(value);
  if (!/^\d+$/.test(value.trim()) || count < 1) {
    throw new ConfigError(`Invalid ${option} value "${value}": expected a whole number above 0.`);
  }
  return count;
}

function parseCredentials(value: string, option: string): { user: string; password: string } {
  const colon = value.indexOf(':');
  if (colon <= 0) {
    throw new ConfigError(`Invalid ${option} value: expected USER:PASSWORD.`);
  }
  return { user: value.slice(0, colon), password: value.slice(colon + 1) };
}

function optionalPath(value: string | undefined): string | null {
  return value === undefined ? null : path.resolve(value);
}
