import { INITIAL_SCHEMA } from './001-initial.js';

/** One schema change. `version` is the value of `PRAGMA user_version` after it ran. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Every migration in the order it runs. Append new ones with the next version number and
 * never edit one that has shipped, because databases in the field already ran it.
 *
 * TODO: full-text search needs a migration that adds an FTS5 table over the visible
 * messages (subject, addresses, envelope recipients, decoded text), keyed by the messages
 * rowid and written in the same transaction as the commit.
 */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', sql: INITIAL_SCHEMA },
];
