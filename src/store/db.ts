import Database from 'better-sqlite3';

import { MIGRATIONS, type Migration } from './migrations/index.js';

export type { Database } from 'better-sqlite3';

/** Default time a statement waits for another connection's write lock, in milliseconds. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

export interface OpenDatabaseOptions {
  /**
   * Time a statement waits for another connection's lock before it fails with
   * SQLITE_BUSY, in milliseconds. The wait blocks the Node thread, as every
   * better-sqlite3 call does.
   */
  busyTimeoutMs?: number;
  /** Migrations to apply. Defaults to the shipped list, and tests pass their own. */
  migrations?: readonly Migration[];
}

/**
 * Opens the database at `path` (a file, or `:memory:`), sets the connection pragmas and
 * applies the pending migrations. Closes the connection again if any step fails.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Database.Database {
  const db = new Database(path);
  try {
    configureConnection(db, options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
    applyMigrations(db, options.migrations ?? MIGRATIONS);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * Sets the pragmas every connection needs. WAL lets readers run while one writer writes,
 * and synchronous=NORMAL is durable against application crashes in WAL mode (a power
 * loss may lose the last commits, but never corrupts the file). Foreign keys are off by
 * default in SQLite and the cascading deletes depend on them.
 */
export function configureConnection(db: Database.Database, busyTimeoutMs: number): void {
  db.pragma('journal_mode = WAL');
  db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
}

/** Returns the schema version recorded in `PRAGMA user_version`. */
export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies every migration newer than the recorded schema version, in order. Each runs in
 * its own transaction together with the update of `user_version`, so a failed migration
 * leaves the database at the previous version.
 */
export function applyMigrations(db: Database.Database, migrations: readonly Migration[]): void {
  const current = schemaVersion(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new Error(
      `The database has schema version ${current}, but this Mailscope supports versions ` +
        `up to ${latest} only. Open it with a newer Mailscope, or use another database file.`,
    );
  }

  for (const migration of migrations) {
    if (migration.version <= current) continue;
    const apply = db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    });
    try {
      apply();
    } catch (error) {
      throw new Error(
        `Migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}
