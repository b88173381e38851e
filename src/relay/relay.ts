import addressparser from 'nodemailer/lib/addressparser';

import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';
import { compileRecipientPattern, rejectedByAllowlist } from './allowlist.js';
import { ReleaseRecords, type ReleaseRecord, type ReleaseTrigger } from './release-records.js';
import {
  DEFAULT_RELAY_SETTINGS,
  mergeRelaySettings,
  RELAY_FIELDS,
  validateRelaySettings,
  type RelayField,
  type RelaySettings,
} from './settings.js';
import {
  DEFAULT_RELAY_TIMEOUTS,
  RelayError,
  sendRawMessage,
  type RelayTimeouts,
} from './smtp-client.js';
import { StoredRelaySettings } from './stored-settings.js';

/** The `rejected` reason of a recipient that matches no allowlist pattern. */
export const NOT_ALLOWED_REASON = 'matches no pattern of the relay allowlist';

/**
 * Why a release was not attempted: `disabled` (no relay server), `not-found` (no such
 * message), `invalid` (a malformed address or no recipient). A recipient outside the
 * allowlist is not one of them: that release is recorded with its error.
 */
export type ReleaseRejection = 'disabled' | 'not-found' | 'invalid';

/** A release that was rejected before any SMTP traffic and left no record. */
export class ReleaseRequestError extends Error {
  override name = 'ReleaseRequestError';

  constructor(
    readonly kind: ReleaseRejection,
    message: string,
  ) {
    super(message);
  }
}

export interface ReleaseRequest {
  /** Recipients to send to; missing or empty sends to the original envelope recipients. */
  to?: readonly string[];
  trigger: ReleaseTrigger;
}

export interface MessageRelayOptions {
  store: Store;
  logger: Logger;
  /** Settings from the CLI options, or the defaults when missing. */
  settings?: RelaySettings;
  /**
   * Fields of `settings` that win over the settings stored through the API, while the other
   * stored fields win over `settings`. Defaults to every field when `settings` is given.
   */
  optionFields?: readonly RelayField[];
  timeouts?: RelayTimeouts;
  now?: () => number;
}

/**
 * Sends stored messages to a real SMTP server and records each result on its message.
 * The raw source goes out without added, removed or rewritten header fields, so the
 * receiving server gets the message as captured. Mailpit's release (server/apiv1/release.go
 * in Mailpit 1.2x) differs: it removes Bcc, replaces Date and Message-ID, and sends from
 * the From header's address, where Mailscope keeps the original MAIL FROM.
 */
export class MessageRelay {
  readonly records: ReleaseRecords;
  private current: RelaySettings;
  private readonly store: Store;
  private readonly stored: StoredRelaySettings;
  private readonly logger: Logger;
  private readonly timeouts: RelayTimeouts;
  private readonly now: () => number;
  private readonly listeners = new Set<(settings: RelaySettings) => void>();

  constructor(options: MessageRelayOptions) {
    this.store = options.store;
    this.logger = options.logger;
    this.timeouts = options.timeouts ?? DEFAULT_RELAY_TIMEOUTS;
    this.now = options.now ?? Date.now;
    this.stored = new StoredRelaySettings(options.store.db);
    const optionFields =
      options.optionFields ?? (options.settings === undefined ? [] : RELAY_FIELDS);
    this.current = this.loadSettings(options.settings ?? DEFAULT_RELAY_SETTINGS, optionFields);
    this.records = new ReleaseRecords(options.store.db);
  }

  /**
   * Returns `base` with the stored fields applied, except those in `optionFields`. Invalid
   * stored settings are logged and ignored, so that Mailscope still starts.
   */
  private loadSettings(base: RelaySettings, optionFields: readonly RelayField[]): RelaySettings {
    const start = validateRelaySettings(base);
    try {
      const stored = this.stored.load();
      const applied = RELAY_FIELDS.filter(
        (field) => field in stored && !optionFields.includes(field),
      );
      if (applied.length === 0) return start;
      const settings = mergeRelaySettings(
        start,
        Object.fromEntries(applied.map((field) => [field, stored[field]])),
      );
      this.logger.info({ fields: applied }, 'relay settings loaded from the database');
      return settings;
    } catch (error) {
      this.logger.warn(
        { err: error },
        'stored relay settings are invalid and were ignored; save them again to replace them',
      );
      return start;
    }
  }

  get settings(): RelaySettings {
    return this.current;
  }

  /**
   * Applies an update from the API and stores the fields it sets, so that they outlast a
   * restart. Throws an Error that names an invalid field, or a RelaySettingsSaveError
   * when the database write fails, and keeps the previous settings in both cases.
   */
  updateSettings(update: unknown): RelaySettings {
    const next = mergeRelaySettings(this.current, update);
    const fields = RELAY_FIELDS.filter((field) => field in (update as object));
    try {
      this.stored.save(next, fields, this.now());
    } catch (error) {
      this.logger.error({ err: error, fields }, 'saving the relay settings failed');
      throw error;
    }
    this.current = next;
    this.logger.info(
      {
        server: this.current.server,
        tls: this.current.tls,
        allowed: this.current.allowedRecipients,
      },
      'relay settings changed',
    );
    for (const listener of this.listeners) listener(this.current);
    return this.current;
  }

  /** Calls `listener` after each settings change; returns the function that unsubscribes. */
  onSettingsChange(listener: (settings: RelaySettings) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Releases message `id` and returns the stored result, successful or failed. Throws a
   * ReleaseRequestError, and records nothing, when relay is off, the message does not
   * exist, or an address is malformed.
   */
  async release(id: string, request: ReleaseRequest): Promise<ReleaseRecord> {
    const settings = this.current;
    const server = settings.server;
    if (server === null) {
      throw new ReleaseRequestError(
        'disabled',
        'Release is off: no relay server is configured. Set one with --relay-server or in the relay settings.',
      );
    }
    const message = this.store.queries.getMessage(id);
    const raw = this.store.queries.getRaw(id);
    const delivery = this.store.queries.getDeliveryOverview(id);
    if (message === null || raw === null || delivery === null) {
      throw new ReleaseRequestError('not-found', `Message ${id} not found.`);
    }

    const requested = request.to ?? [];
    const recipients =
      requested.length > 0 ? parseRecipients(requested) : [...message.envelopeRecipients];
    if (recipients.length === 0) {
      throw new ReleaseRequestError(
        'invalid',
        'The release has no recipient: give at least one address.',
      );
    }

    const mailFrom = settings.from ?? delivery.mailFrom;
    const started = this.now();
    const base = {
      messageId: id,
      at: started,
      trigger: request.trigger,
      server: `${server.host}:${server.port}`,
      mailFrom,
      recipients,
    };

    const patterns = settings.allowedRecipients.map(compileRecipientPattern);
    const notAllowed = rejectedByAllowlist(recipients, patterns);
    if (notAllowed.length > 0) {
      const error =
        `Not released: ${notAllowed.join(', ')} ${notAllowed.length === 1 ? 'matches' : 'match'} ` +
        `no pattern of the relay allowlist (${settings.allowedRecipients.join(', ')}).`;
      this.logger.warn({ messageId: id, notAllowed }, 'release rejected by the allowlist');
      return this.records.add({
        ...base,
        durationMs: 0,
        outcome: 'not-allowed',
        reply: null,
        rejected: notAllowed.map((address) => ({ address, reply: NOT_ALLOWED_REASON })),
        error,
      });
    }

    try {
      const reply = await sendRawMessage(
        settings,
        { from: mailFrom, to: recipients },
        raw,
        this.timeouts,
      );
      const record = this.records.add({
        ...base,
        durationMs: this.now() - started,
        outcome: 'sent',
        reply: reply.response,
        rejected: reply.rejected,
        error: null,
      });
      this.logger.info(
        { messageId: id, server: base.server, recipients, reply: reply.response },
        'message released',
      );
      return record;
    } catch (error) {
      const reply = error instanceof RelayError ? error.reply : null;
      const record = this.records.add({
        ...base,
        durationMs: this.now() - started,
        outcome: 'failed',
        reply,
        rejected: [],
        error: (error as Error).message,
      });
      this.logger.warn({ err: error, messageId: id, server: base.server }, 'release failed');
      return record;
    }
  }
}

/**
 * Reads addresses given at release time. Each entry may be a bare address, `Name <address>`
 * or a comma-separated list of these. Throws ReleaseRequestError for an entry without a
 * valid address.
 */
export function parseRecipients(entries: readonly string[]): string[] {
  const addresses: string[] = [];
  for (const entry of entries) {
    const parsed = addressparser(entry, { flatten: true });
    if (parsed.length === 0) {
      throw new ReleaseRequestError(
        'invalid',
        `Invalid recipient "${entry}": expected an address.`,
      );
    }
    for (const item of parsed) {
      const address = item.address ?? '';
      if (!/^[^\s@<>]+@[^\s@<>]+$/.test(address)) {
        throw new ReleaseRequestError(
          'invalid',
          `Invalid recipient "${entry}": expected an address such as user@example.test.`,
        );
      }
      if (!addresses.includes(address)) addresses.push(address);
    }
  }
  return addresses;
}
