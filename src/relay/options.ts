import { ConfigError } from '../config.js';
import {
  DEFAULT_RELAY_SETTINGS,
  RELAY_TLS_MODES,
  validateRelaySettings,
  type RelayField,
  type RelaySettings,
  type RelayTls,
} from './settings.js';

/** The relay's command-line options, in the form node:util parseArgs takes. */
export const RELAY_CLI_OPTIONS = {
  'relay-server': { type: 'string' },
  'relay-tls': { type: 'string' },
  'relay-allow-self-signed': { type: 'boolean' },
  'relay-auth': { type: 'string' },
  'relay-from': { type: 'string' },
  'relay-allowed-recipients': { type: 'string' },
  'relay-matching': { type: 'string' },
} as const;

export const RELAY_HELP = `  --relay-server HOST:PORT  SMTP server that released messages go to
                            (MAILSCOPE_RELAY_SERVER); without it, release is off
  --relay-tls MODE          none, starttls (required) or tls (implicit, usually
                            port 465) (MAILSCOPE_RELAY_TLS), default none
  --relay-allow-self-signed accept a relay server certificate that cannot be
                            verified (MAILSCOPE_RELAY_ALLOW_SELF_SIGNED=1)
  --relay-auth USER:PASS    log in to the relay server (MAILSCOPE_RELAY_AUTH)
  --relay-from ADDRESS      envelope sender of released messages
                            (MAILSCOPE_RELAY_FROM), default the original MAIL FROM
  --relay-allowed-recipients PATTERNS
                            comma-separated recipients a release may go to: an
                            address, a wildcard such as *@example.test or /REGEX/i
                            (MAILSCOPE_RELAY_ALLOWED_RECIPIENTS), default any
  --relay-matching QUERY    release each new message that matches this search
                            automatically (MAILSCOPE_RELAY_MATCHING)
`;

type RelayValues = {
  [K in keyof typeof RELAY_CLI_OPTIONS]?: K extends 'relay-allow-self-signed' ? boolean : string;
};

/**
 * Reads the relay settings from the parsed options, each falling back to its environment
 * variable through `pick` and `flag`. Throws ConfigError for an invalid value.
 */
export function parseRelayOptions(
  values: RelayValues,
  pick: (option: string | undefined, variable: string) => string | undefined,
  flag: (option: boolean | undefined, variable: string) => boolean,
): RelaySettings {
  const server = pick(values['relay-server'], 'MAILSCOPE_RELAY_SERVER');
  const tls = (pick(values['relay-tls'], 'MAILSCOPE_RELAY_TLS') ?? 'none').toLowerCase();
  if (!RELAY_TLS_MODES.includes(tls as RelayTls)) {
    throw new ConfigError(
      `Invalid --relay-tls value "${tls}": expected ${RELAY_TLS_MODES.join(', ')}.`,
    );
  }
  const auth = pick(values['relay-auth'], 'MAILSCOPE_RELAY_AUTH');
  const allowed = pick(values['relay-allowed-recipients'], 'MAILSCOPE_RELAY_ALLOWED_RECIPIENTS');

  const settings: RelaySettings = {
    ...DEFAULT_RELAY_SETTINGS,
    server: server === undefined ? null : parseServer(server, tls as RelayTls),
    tls: tls as RelayTls,
    allowSelfSigned: flag(values['relay-allow-self-signed'], 'MAILSCOPE_RELAY_ALLOW_SELF_SIGNED'),
    auth: auth === undefined ? null : parseAuth(auth),
    from: pick(values['relay-from'], 'MAILSCOPE_RELAY_FROM') ?? null,
    allowedRecipients: allowed === undefined ? [] : splitPatterns(allowed),
    relayMatching: pick(values['relay-matching'], 'MAILSCOPE_RELAY_MATCHING') ?? null,
  };
  try {
    return validateRelaySettings(settings);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/** The CLI option, with its environment variable, of each relay setting. */
const FIELD_SOURCES: ReadonlyArray<[RelayField, keyof typeof RELAY_CLI_OPTIONS, string]> = [
  ['server', 'relay-server', 'MAILSCOPE_RELAY_SERVER'],
  ['tls', 'relay-tls', 'MAILSCOPE_RELAY_TLS'],
  ['allowSelfSigned', 'relay-allow-self-signed', 'MAILSCOPE_RELAY_ALLOW_SELF_SIGNED'],
  ['auth', 'relay-auth', 'MAILSCOPE_RELAY_AUTH'],
  ['from', 'relay-from', 'MAILSCOPE_RELAY_FROM'],
  ['allowedRecipients', 'relay-allowed-recipients', 'MAILSCOPE_RELAY_ALLOWED_RECIPIENTS'],
  ['relayMatching', 'relay-matching', 'MAILSCOPE_RELAY_MATCHING'],
];

/**
 * Returns the names of the relay settings that a CLI option or a non-empty
 * MAILSCOPE_RELAY_* variable sets. At start these win over the settings stored through
 * the API.
 */
export function relayOptionFields(
  values: RelayValues,
  pick: (option: string | undefined, variable: string) => string | undefined,
): RelayField[] {
  return FIELD_SOURCES.filter(([, option, variable]) => {
    const value = values[option];
    return pick(value === undefined ? undefined : String(value), variable) !== undefined;
  }).map(([field]) => field);
}

/** Parses `HOST:PORT`, `[IPv6]:PORT` or `HOST`; a missing port is 465 for tls, else 25. */
function parseServer(value: string, tls: RelayTls): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(value.trim());
  const defaultPort = tls === 'tls' ? 465 : 25;
  const port = match?.[3] === undefined ? defaultPort : Number(match[3]);
  if (!match || port < 1 || port > 65535) {
    throw new ConfigError(
      `Invalid --relay-server value "${value}": expected HOST:PORT, such as smtp.example.test:587.`,
    );
  }
  return { host: (match[1] ?? match[2]) as string, port };
}

function parseAuth(value: string): { user: string; password: string } {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new ConfigError('Invalid --relay-auth value: expected USER:PASSWORD.');
  return { user: value.slice(0, colon), password: value.slice(colon + 1) };
}

/**
 * Splits a comma-separated pattern list. A comma inside a `/REGEX/` pattern, as in
 * `/a{1,3}@x/`, belongs to the pattern.
 */
export function splitPatterns(list: string): string[] {
  const patterns: string[] = [];
  let current = '';
  for (const piece of list.split(',')) {
    current = current === '' ? piece : `${current},${piece}`;
    const trimmed = current.trim();
    const openRegex = trimmed.startsWith('/') && !/^\/.+\/[a-z]*$/s.test(trimmed);
    if (openRegex) continue;
    if (trimmed !== '') patterns.push(trimmed);
    current = '';
  }
  if (current.trim() !== '') patterns.push(current.trim());
  return patterns;
}
