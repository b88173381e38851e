import type { Database, Statement } from 'better-sqlite3';

/** How much the store keeps. */
export interface RetentionPolicy {
  /** Maximum number of visible messages kept, at least 1. */
  maxMessages: number;
  /** Maximum age of a finished delivery in milliseconds, or null for no age limit. */
  maxAgeMs: number | null;
}

export const DEFAULT_RETENTION: RetentionPolicy = { maxMessages: 10_000, maxAgeMs: null };

/**
 * Publishes between two runs of the count limit on failed deliveries after a commit. Each
 * run costs a query, and a few dozen failed deliveries over the limit for a moment are
 * harmless; the periodic prune() runs it too.
 */
const PUBLISHES_PER_FAILED_PRUNE = 32;

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
  private readonly countVisible: Statement;
  /**
   * Visible messages after the last run of prune(), plus those published since, or null
   * before the first run. Deletes by other means only make it too high, which costs one
   * extra run.
   */
  private visibleCount: number | null = null;
  /** Publishes since the failed deliveries were last pruned; the first publish prunes them. */
  private publishesSinceFailedPrune = PUBLISHES_PER_FAILED_PRUNE;

  constructor(
    db: Database,
    private readonly policy: RetentionPolicy,
  ) {
    this.pruneMessages = db.prepare(`
      DELETE FROM deliveries WHERE state != 'in-progress' AND id IN (
        SELECT id FROM messages WHERE staged = 0
        ORDER BY received_at DESC, rowid DESC LIMIT -1 OFFSET @max)
    `);
    // Without INDEXED BY, SQLite walks every delivery in seq order to skip the sort, which
    // costs a read of the whole table at each commit.
    this.pruneFailed = db.prepare(`
      DELETE FROM deliveries WHERE seq IN (
        SELECT seq FROM deliveries INDEXED BY deliveries_state
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
    this.countVisible = db.prepare('SELECT COUNT(*) FROM messages WHERE staged = 0').pluck();
  }

  /** Applies the policy at time `now` and returns the number of deliveries deleted. */
  prune(now: number): number {
    const max = this.policy.maxMessages;
    const messagesDeleted = this.pruneMessages.run({ max }).changes;
    // Deleting past `max` leaves exactly `max` visible messages.
    this.visibleCount = messagesDeleted > 0 ? max : (this.countVisible.get() as number);
    const deleted = messagesDeleted + this.pruneDeliveries(now);
    if (this.policy.maxAgeMs !== null) {
      this.pruneOldSessions.run({ cutoff: now - this.policy.maxAgeMs });
    }
    this.pruneSessions.run({ max });
    return deleted;
  }

  /**
   * Applies the policy after one message was made visible. While the visible messages are
   * known to be within maxMessages, it skips the count limit on them and the session
   * rules, because those queries read every visible message or every session and would
   * otherwise run at every commit. A commit adds no session without deliveries, and the
   * periodic prune() still applies the session rules. The count limit on failed
   * deliveries runs at every PUBLISHES_PER_FAILED_PRUNE-th publish.
   */
  pruneAfterPublish(now: number): number {
    if (this.visibleCount !== null && this.visibleCount < this.policy.maxMessages) {
      this.visibleCount += 1;
      this.publishesSinceFailedPrune += 1;
      return this.pruneDeliveries(
        now,
        this.publishesSinceFailedPrune >= PUBLISHES_PER_FAILED_PRUNE,
      );
    }
    return this.prune(now);
  }

  /**
   * Applies the count limit on failed deliveries, unless `pruneFailed` is false, and the
   * age limit on every delivery.
   */
  private pruneDeliveries(now: number, pruneFailed = true): number {
    let deleted = 0;
    if (pruneFailed) {
      this.publishesSinceFailedPrune = 0;
      deleted += this.pruneFailed.run({ max: this.policy.maxMessages }).changes;
    }
    if (this.policy.maxAgeMs !== null) {
      deleted += this.pruneOld.run({ cutoff: now - this.policy.maxAgeMs }).changes;
    }
    return deleted;
  }
}
