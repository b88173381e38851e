import type { Database, Statement } from 'better-sqlite3';

/**
 * Small reads that the store's queries do not offer, prepared once per database. Only
 * visible messages (staged = 0) count, as in StoreQueries.
 */
interface Statements {
  envelope: Statement;
  read: Statement;
  received: Statement;
  pageBefore: Statement;
}

const statements = new WeakMap<Database, Statements>();

function prepared(db: Database): Statements {
  let entry = statements.get(db);
  if (entry === undefined) {
    entry = {
      envelope: db.prepare('SELECT auth_user, mail_from FROM deliveries WHERE id = ?'),
      read: db.prepare('SELECT read FROM messages WHERE id = ? AND staged = 0'),
      received: db.prepare('SELECT received_at, read FROM messages WHERE id = ? AND staged = 0'),
      pageBefore: db.prepare(`
        SELECT id FROM messages WHERE staged = 0 AND received_at < ?
        ORDER BY received_at DESC, rowid DESC LIMIT ? OFFSET ?`),
    };
    statements.set(db, entry);
  }
  return entry;
}

/**
 * Reads the envelope sender of a delivery and the user that authenticated its SMTP
 * session; both are "" when absent.
 */
export function deliveryEnvelope(db: Database, id: string): { user: string; mailFrom: string } {
  const row = prepared(db).envelope.get(id) as
    { auth_user: string | null; mail_from: string } | undefined;
  return { user: row?.auth_user ?? '', mailFrom: row?.mail_from ?? '' };
}

/** Returns the read flag of a visible message, or null when there is no such message. */
export function readStateOf(db: Database, id: string): boolean | null {
  const row = prepared(db).read.get(id) as { read: number } | undefined;
  return row === undefined ? null : row.read === 1;
}

/** Lists the ids of the messages received before `before` (ms), newest first, one page. */
export function idsReceivedBefore(
  db: Database,
  before: number,
  page: { offset: number; limit: number },
): string[] {
  const rows = prepared(db).pageBefore.all(before, page.limit, page.offset) as Array<{
    id: string;
  }>;
  return rows.map((row) => row.id);
}

/** Keeps the ids of the messages received before `before` (ms), with their read flags. */
export function receivedBefore(
  db: Database,
  ids: readonly string[],
  before: number,
): Array<{ id: string; read: boolean }> {
  const earlier: Array<{ id: string; read: boolean }> = [];
  for (const id of ids) {
    const row = prepared(db).received.get(id) as { received_at: number; read: number } | undefined;
    if (row !== undefined && row.received_at < before) earlier.push({ id, read: row.read === 1 });
  }
  return earlier;
}
