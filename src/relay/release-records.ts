import type { Database, Statement } from 'better-sqlite3';

/**
 * The source of a release: the API or UI, the automatic relay, or the release route of
 * Mailpit's or MailHog's API (both record `mailpit`).
 */
export type ReleaseTrigger = 'manual' | 'automatic' | 'mailpit';

/**
 * The end state of a release: `sent` when the server accepted the message for at least one
 * recipient, `not-allowed` when a recipient matched no allowlist pattern and nothing was
 * sent, `failed` when the connection or the server failed it.
 */
export type ReleaseOutcome = 'sent' | 'not-allowed' | 'failed';

/** The result of one release of a stored message, as the API returns it. */
export interface ReleaseRecord {
  seq: number;
  messageId: string;
  /** Start of the release, in milliseconds since the epoch. */
  at: number;
  durationMs: number;
  trigger: ReleaseTrigger;
  /** The relay server as `host:port`. */
  server: string;
  /** Envelope sender used, `""` for the null reverse path. */
  mailFrom: string;
  /** Recipients the release was sent to. */
  recipients: string[];
  outcome: ReleaseOutcome;
  /** The server's last reply: to the end of data on success, else the failing command's. */
  reply: string | null;
  /**
   * Recipients the message did not go to, with the reason: the server's reply to RCPT TO,
   * or a sentence naming the allowlist.
   */
  rejected: Array<{ address: string; reply: string }>;
  /** The reason the release failed, or null. */
  error: string | null;
}

interface ReleaseRow {
  seq: number;
  message_id: string;
  at: number;
  duration_ms: number;
  trigger: ReleaseTrigger;
  server: string;
  mail_from: string;
  recipients: string;
  outcome: ReleaseOutcome;
  reply: string | null;
  rejected: string;
  error: string | null;
}

/** Reads and writes the `message_releases` table. */
export class ReleaseRecords {
  private readonly insertStatement: Statement;
  private readonly listStatement: Statement;
  private readonly getStatement: Statement;

  constructor(db: Database) {
    this.insertStatement = db.prepare(`
      INSERT INTO message_releases
        (message_id, at, duration_ms, trigger, server, mail_from, recipients, outcome, reply,
         rejected, error)
      SELECT @messageId, @at, @durationMs, @trigger, @server, @mailFrom, @recipients, @outcome,
        @reply, @rejected, @error
      WHERE EXISTS (SELECT 1 FROM messages WHERE id = @messageId)`);
    this.listStatement = db.prepare(
      'SELECT * FROM message_releases WHERE message_id = ? ORDER BY seq',
    );
    this.getStatement = db.prepare('SELECT * FROM message_releases WHERE seq = ?');
  }

  /**
   * Stores one release and returns it with its sequence number. A message deleted while
   * its release ran leaves no row, and the record comes back with `seq` 0.
   */
  add(record: Omit<ReleaseRecord, 'seq'>): ReleaseRecord {
    const result = this.insertStatement.run({
      ...record,
      recipients: JSON.stringify(record.recipients),
      rejected: JSON.stringify(record.rejected),
    });
    if (result.changes === 0) return { ...record, seq: 0 };
    const row = this.getStatement.get(result.lastInsertRowid) as ReleaseRow;
    return toReleaseRecord(row);
  }

  /** Lists the releases of one message, oldest first. */
  list(messageId: string): ReleaseRecord[] {
    return (this.listStatement.all(messageId) as ReleaseRow[]).map(toReleaseRecord);
  }
}

function toReleaseRecord(row: ReleaseRow): ReleaseRecord {
  return {
    seq: row.seq,
    messageId: row.message_id,
    at: row.at,
    durationMs: row.duration_ms,
    trigger: row.trigger,
    server: row.server,
    mailFrom: row.mail_from,
    recipients: JSON.parse(row.recipients) as string[],
    outcome: row.outcome,
    reply: row.reply,
    rejected: JSON.parse(row.rejected) as ReleaseRecord['rejected'],
    error: row.error,
  };
}
