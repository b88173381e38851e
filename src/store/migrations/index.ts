import { INITIAL_SCHEMA } from './001-initial.js';
import { SEARCH_AND_TAGS_SCHEMA } from './002-search-and-tags.js';
import { RULES_SCHEMA } from './003-rules.js';
import { MESSAGE_RELEASES_SCHEMA } from './004-message-releases.js';
import { SETTINGS_SCHEMA } from './005-settings.js';
import { COMPACT_STORAGE_SCHEMA } from './006-compact-storage.js';
import { UNREAD_INDEX_SCHEMA } from './007-unread-index.js';

/** One schema change. `version` is the value of `PRAGMA user_version` after it ran. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Every migration in the order it runs. Append new ones with the next version number and
 * never edit one that has shipped, because databases in the field already ran it.
 */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', sql: INITIAL_SCHEMA },
  { version: 2, name: 'search and tags', sql: SEARCH_AND_TAGS_SCHEMA },
  { version: 3, name: 'failure rules', sql: RULES_SCHEMA },
  { version: 4, name: 'message releases', sql: MESSAGE_RELEASES_SCHEMA },
  { version: 5, name: 'settings', sql: SETTINGS_SCHEMA },
  { version: 6, name: 'compact storage', sql: COMPACT_STORAGE_SCHEMA },
  { version: 7, name: 'unread index', sql: UNREAD_INDEX_SCHEMA },
];
