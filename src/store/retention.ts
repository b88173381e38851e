import type { Database, Statement } from 'better-sqlite3';

/** How much the store keeps. */
export interface RetentionPolicy {
  /** Maximum number of visible messages kept, at least 1. */
  maxMessages: number;
  /** Maximum age of a finished delivery in milliseconds, or null for no age limit. */
  maxAgeMs: number | null;
}

export const DEFAULT_RETENTION: RetentionPolicy = { maxMessages: 10_000, maxAgeMs: null };

/** Checks a policy and fills in the defaults. Throws a RangeError that names an invalid value. */
export function resolveRetention(policy: Partial<RetentionPolicy> = {}): RetentionPolicy {
  const maxMessages = policy.maxMessages ?? DEFAULT_RETENTION.maxMessages;
  const maxAgeMs = policy.maxAgeMs ?? DEFAULT_RETENTION.maxAgeMs;
  if (!Number.isInteger(maxMessages) || maxMessages < 1) {
    throw new RangeError(`maxMessages must be a whole number of at least 1, got ${maxMessages}`);
  }
  if (maxAgeMs !== null && !(maxAgeMs > 0)) {
    throw new RangeError(`maxAgeMs must be a positive number of milliseconds, got ${maxAgeMs}`);
  }
  return { maxMessages, maxAgeMs };
}

/**
 * Deletes what the retention policy no longer keeps. Removing a delivery removes
 * everything that hangs off it: its message with headers and parts, its recipients and
 * its trace. In-progress deliveries are never touched.
 *
 * - Visible messages past `maxMessages`, oldest received first, go with their delivery.
 * - Deliveries that ended without a message (aborted or interrupted) are kept up to the
 *   same count, newest first, so that failed attempts cannot fill the disk either.
 * - With `maxAgeMs`, every finished delivery that started before the cut-off goes.
 * - Closed SMTP sessions that no delivery refers to any more are kept up to the same
 *   count too, and with `maxAgeMs` only while they are younger than the cut-off.
 */
export class RetentionPruner {
  private readonly pruneMessages: Statement;
  private readonly pruneFailed: Statement;
  private readonly pruneOld: Statement;
  private readonly pruneSessions: Statement;
  private readonly pruneOldSessions: Statement;

  constructor(
    db: Database,
    private readonly policy: RetentionPolicy,
  ) {
    this.pruneMessages = db.prepare(`
      DELETE FROM deliveries WHERE state != 'in-progress' AND id IN (
        SELECT id FROM messages WHERE staged = 0
        ORDER BY received_at DESC, rowid DESC LIMIT -1 OFFSET @max)
    `);
    this.pruneFailed = db.prepare(`
      DELETE FROM deliveries WHERE seq IN (
        SELECT seq FROM deliveries
        WHERE state IN ('aborted', 'interrupted')
          AND NOT EXISTS (SELECT 1 FROM messages WHERE messages.id = deliveries.id)
        ORDER BY seq DESC LIMIT -1 OFFSET @max)
    `);
    this.pruneOld = db.prepare(
      "DELETE FROM deliveries WHERE state != 'in-progress' AND started_at < @cutoff",
    );
    this.pruneSessions = db.prepare(`
      DELETE FROM sessions WHERE id IN (
        SELECT id FROM sessions
        WHERE closed_at IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM deliveries WHERE deliveries.session_id = sessions.id)
        ORDER BY opened_at DESC LIMIT -1 OFFSET @max)
    `);
    this.pruneOldSessions = db.prepare(`
      DELETE FROM sessions WHERE closed_at IS NOT NULL AND closed_at < @cutoff
        AND NOT EXISTS (SELECT 1 FROM deliveries WHERE deliveries.session_id = sessions.id)
    `);
  }

  /** Applies the policy at time `now` and returns the number of deliveries deleted. */
  prune(now: number): number {
    const max = this.policy.maxMessages;
    let deleted = this.pruneMessages.run({ max }).changes;
    deleted += this.pruneFailed.run({ max }).changes;
    if (this.policy.maxAgeMs !== null) {
      const cutoff = now - this.policy.maxAgeMs;
      deleted += this.pruneOld.run({ cutoff }).changes;
      this.pruneOldSessions.run({ cutoff });
    }
    this.pruneSessions.run({ max });
    return deleted;
  }
}
