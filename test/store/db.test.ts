import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { openDatabase, schemaVersion } from '../../src/store/db.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { makeTempDir } from './helpers.js';

/** Schema version after every shipped migration. */
const LATEST_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let dbPath: string;

beforeEach(async () => {
  temp = await makeTempDir();
  dbPath = path.join(temp.dir, 'mail.db');
});

afterEach(async () => {
  await temp.remove();
});

describe('openDatabase()', () => {
  it('sets the connection pragmas', () => {
    const db = openDatabase(dbPath);
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
      // synchronous = NORMAL is 1.
      expect(db.pragma('synchronous', { simple: true })).toBe(1);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    } finally {
      db.close();
    }
  });

  it('opens an in-memory database', () => {
    const db = openDatabase(':memory:');
    try {
      expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)?.version);
    } finally {
      db.close();
    }
  });

  it('counts unread messages from an index', () => {
    const db = openDatabase(':memory:');
    try {
      const plan = db
        .prepare('EXPLAIN QUERY PLAN SELECT COUNT(*) FROM messages WHERE staged = 0 AND read = 0')
        .all()
        .map((row) => (row as { detail: string }).detail);
      expect(plan).toEqual([
        'SEARCH messages USING COVERING INDEX messages_read (staged=? AND read=?)',
      ]);
    } finally {
      db.close();
    }
  });

  it('applies migrations once', () => {
    openDatabase(dbPath).close();
    const db = openDatabase(dbPath);
    try {
      expect(schemaVersion(db)).toBe(LATEST_VERSION);
      const tables = db
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .all()
        .map((row) => (row as { name: string }).name);
      expect(tables).toEqual(
        expect.arrayContaining([
          'deliveries',
          'delivery_events',
          'headers',
          'messages',
          'parts',
          'recipients',
          'session_lines',
          'sessions',
          'message_search',
          'tags',
          'message_tags',
        ]),
      );
    } finally {
      db.close();
    }
  });

  it('applies a later migration', () => {
    openDatabase(dbPath).close();
    const next = [
      ...MIGRATIONS,
      { version: LATEST_VERSION + 1, name: 'add notes', sql: 'CREATE TABLE notes (name TEXT)' },
    ];

    const db = openDatabase(dbPath, { migrations: next });
    try {
      expect(schemaVersion(db)).toBe(LATEST_VERSION + 1);
      expect(db.prepare("SELECT name FROM sqlite_schema WHERE name = 'notes'").get()).toEqual({
        name: 'notes',
      });
    } finally {
      db.close();
    }
  });

  it('rolls back a failing migration', () => {
    openDatabase(dbPath).close();
    const broken = [
      ...MIGRATIONS,
      {
        version: LATEST_VERSION + 1,
        name: 'broken',
        sql: 'CREATE TABLE half (a TEXT); CREATE TABLE nonsense (',
      },
    ];

    expect(() => openDatabase(dbPath, { migrations: broken })).toThrow(
      `Migration ${LATEST_VERSION + 1} (broken)`,
    );
    const db = openDatabase(dbPath);
    try {
      expect(schemaVersion(db)).toBe(LATEST_VERSION);
      expect(
        db.prepare("SELECT name FROM sqlite_schema WHERE name = 'half'").get(),
      ).toBeUndefined();
    } finally {
      db.close();
    }
  });

  it('rejects a newer schema version', () => {
    const db = openDatabase(dbPath);
    db.pragma('user_version = 99');
    db.close();

    expect(() => openDatabase(dbPath)).toThrow(/schema version 99/);
  });
});
