import type { Database, Statement } from 'better-sqlite3';

import { RELAY_FIELDS, type RelayField, type RelaySettings } from './settings.js';

/** Key of the relay settings in the `settings` table. */
const RELAY_KEY = 'relay';

/** A failed write of the relay settings to the database. */
export class RelaySettingsSaveError extends Error {
  override name = 'RelaySettingsSaveError';
}

/**
 * Relay settings changed through the API, kept in the `settings` table as one JSON object.
 * Only the fields that an update set are stored, so a field never changed through the API
 * keeps following the CLI options. The password is stored in plain text, because the
 * relay needs it to log in. It is as readable as the stored messages, because Mailscope
 * creates its data directory with mode 0700.
 */
export class StoredRelaySettings {
  private readonly select: Statement<[string], { value: string }>;
  private readonly upsert: Statement<[string, string, number]>;

  constructor(db: Database) {
    this.select = db.prepare('SELECT value FROM settings WHERE key = ?');
    this.upsert = db.prepare(
      `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    );
  }

  /**
   * Returns the stored fields as they were saved, or an empty object when none are stored.
   * The caller validates them, because a stored value may predate a stricter check.
   */
  load(): Record<string, unknown> {
    const row = this.select.get(RELAY_KEY);
    if (row === undefined) return {};
    const value: unknown = JSON.parse(row.value);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new Error('Invalid stored relay settings: expected a JSON object.');
    }
    return value as Record<string, unknown>;
  }

  /** Stores the `fields` of `settings` beside the fields stored before. */
  save(settings: RelaySettings, fields: readonly RelayField[], now: number): void {
    let stored: Record<string, unknown>;
    try {
      stored = this.load();
    } catch {
      // Unreadable stored settings were already ignored at start, so the update replaces them.
      stored = {};
    }
    for (const field of fields) stored[field] = settings[field];
    const known = Object.fromEntries(
      RELAY_FIELDS.filter((field) => field in stored).map((field) => [field, stored[field]]),
    );
    try {
      this.upsert.run(RELAY_KEY, JSON.stringify(known), now);
    } catch (error) {
      throw new RelaySettingsSaveError(
        `Saving the relay settings failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}
