import { compileRecipientPattern } from './allowlist.js';

/**
 * Security of the connection to the relay server: `none` sends in plain text and
 * ignores STARTTLS, `starttls` requires the STARTTLS upgrade, `tls` uses implicit TLS
 * from the first byte (usually port 465).
 */
export type RelayTls = 'none' | 'starttls' | 'tls';

export const RELAY_TLS_MODES: readonly RelayTls[] = ['none', 'starttls', 'tls'];

/** Settings of the relay that released messages go through. */
export interface RelaySettings {
  /** SMTP server that receives released messages; null while release is off. */
  server: { host: string; port: number } | null;
  tls: RelayTls;
  /** Accepts a self-signed or otherwise unverifiable server certificate. */
  allowSelfSigned: boolean;
  /** Credentials for SMTP AUTH, or null to send without logging in. */
  auth: { user: string; password: string } | null;
  /** Envelope sender (MAIL FROM) of released messages; null keeps the original one. */
  from: string | null;
  /** Recipient patterns a release may send to; empty allows every recipient. */
  allowedRecipients: string[];
  /** Search query whose matching messages are released automatically once committed. */
  relayMatching: string | null;
}

/** The name of one relay setting. */
export type RelayField = keyof RelaySettings;

export const RELAY_FIELDS: readonly RelayField[] = [
  'server',
  'tls',
  'allowSelfSigned',
  'auth',
  'from',
  'allowedRecipients',
  'relayMatching',
];

export const DEFAULT_RELAY_SETTINGS: RelaySettings = {
  server: null,
  tls: 'none',
  allowSelfSigned: false,
  auth: null,
  from: null,
  allowedRecipients: [],
  relayMatching: null,
};

/** The settings as the API returns them: the password is replaced by whether one is set. */
export interface RelaySettingsView extends Omit<RelaySettings, 'auth'> {
  enabled: boolean;
  auth: { user: string; passwordSet: boolean } | null;
}

export function toRelaySettingsView(settings: RelaySettings): RelaySettingsView {
  return {
    ...settings,
    enabled: settings.server !== null,
    auth:
      settings.auth === null
        ? null
        : { user: settings.auth.user, passwordSet: settings.auth.password !== '' },
  };
}

/**
 * Checks settings and throws an Error whose message names the first invalid field. The
 * allowlist patterns are compiled here so that an invalid regular expression is reported
 * when the settings are made, not at the first release.
 */
export function validateRelaySettings(settings: RelaySettings): RelaySettings {
  if (settings.server !== null) {
    const { host, port } = settings.server;
    if (host.trim() === '' || /[\s/]/.test(host)) {
      throw new Error(`Invalid relay server host "${host}": expected a host name or address.`);
    }
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`Invalid relay server port ${port}: expected a number from 1 to 65535.`);
    }
  }
  if (!RELAY_TLS_MODES.includes(settings.tls)) {
    throw new Error(
      `Invalid relay TLS mode "${String(settings.tls)}": expected ${RELAY_TLS_MODES.join(', ')}.`,
    );
  }
  if (settings.from !== null && /[\s<>]/.test(settings.from)) {
    throw new Error(
      `Invalid relay sender "${settings.from}": expected a bare address such as app@example.test.`,
    );
  }
  for (const pattern of settings.allowedRecipients) compileRecipientPattern(pattern);
  return settings;
}

/**
 * Applies a settings update from the API to `current` and returns the new settings, or
 * throws an Error that names the invalid field. Fields missing from `update` keep their
 * value; an `auth` object without `password` keeps the current password.
 */
export function mergeRelaySettings(current: RelaySettings, update: unknown): RelaySettings {
  if (typeof update !== 'object' || update === null || Array.isArray(update)) {
    throw new Error('Invalid relay settings: expected a JSON object.');
  }
  const body = update as Record<string, unknown>;
  const next: RelaySettings = { ...current };

  if ('server' in body) next.server = readServer(body.server);
  if ('tls' in body) next.tls = body.tls as RelayTls;
  if ('allowSelfSigned' in body) {
    if (typeof body.allowSelfSigned !== 'boolean') {
      throw new Error('Invalid allowSelfSigned: expected true or false.');
    }
    next.allowSelfSigned = body.allowSelfSigned;
  }
  if ('auth' in body) next.auth = readAuth(body.auth, current.auth);
  if ('from' in body) next.from = readOptionalText(body.from, 'from');
  if ('allowedRecipients' in body) {
    const list = body.allowedRecipients;
    if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) {
      throw new Error('Invalid allowedRecipients: expected an array of patterns.');
    }
    next.allowedRecipients = list.map((item: string) => item.trim()).filter((item) => item !== '');
  }
  if ('relayMatching' in body)
    next.relayMatching = readOptionalText(body.relayMatching, 'relayMatching');
  return validateRelaySettings(next);
}

function readServer(value: unknown): RelaySettings['server'] {
  if (value === null) return null;
  const server = value as { host?: unknown; port?: unknown };
  if (typeof server !== 'object' || typeof server.host !== 'string') {
    throw new Error('Invalid server: expected null or {"host": "smtp.example.test", "port": 587}.');
  }
  return { host: server.host.trim(), port: Number(server.port) };
}

function readAuth(value: unknown, current: RelaySettings['auth']): RelaySettings['auth'] {
  if (value === null) return null;
  const auth = value as { user?: unknown; password?: unknown };
  if (typeof auth !== 'object' || typeof auth.user !== 'string' || auth.user === '') {
    throw new Error('Invalid auth: expected null or {"user": "...", "password": "..."}.');
  }
  if (auth.password === undefined) {
    return { user: auth.user, password: current?.user === auth.user ? current.password : '' };
  }
  if (typeof auth.password !== 'string') throw new Error('Invalid auth.password: expected text.');
  return { user: auth.user, password: auth.password };
}

function readOptionalText(value: unknown, field: string): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') throw new Error(`Invalid ${field}: expected text or null.`);
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}
