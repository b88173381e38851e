import type { Database } from 'better-sqlite3';

/** Summary of the changes `recoverAfterCrash` made. */
export interface RecoveryReport {
  /** Deliveries that were in progress and are now marked interrupted. */
  interrupted: string[];
  /**
   * Deliveries that were in progress although their message was already visible: the
   * process stopped between the commit and its trace event. They are marked committed.
   */
  completed: string[];
  /** Staged messages removed, with their headers and parts. */
  removedStagedMessages: number;
  /** SMTP sessions that were still open and are now closed. */
  closedSessions: number;
}

export const INTERRUPTED_DETAIL = 'Mailscope stopped before this delivery finished.';

/**
 * Cleans up after a process that stopped without closing the store, in one transaction.
 * Deliveries left in progress become interrupted (with a `delivery.interrupted` trace
 * event), unless their message was already visible, in which case they become committed.
 * Staged messages are removed, because no delivery can commit them any more. Sessions
 * left open get `closed_at` set to `now`. Committed messages are not touched.
 *
 * It assumes one Mailscope process per database file, because a second process would
 * mark the first one's open deliveries interrupted. The core's lock file (lockDatabase in
 * src/paths.ts) keeps a second process out before it gets here.
 */
export function recoverAfterCrash(db: Database, now: number): RecoveryReport {
  const openDeliveries = db.prepare(`
    SELECT d.id AS id, m.staged AS staged
    FROM deliveries d LEFT JOIN messages m ON m.id = d.id
    WHERE d.state = 'in-progress'
  `);
  const markInterrupted = db.prepare(`
    UPDATE deliveries SET state = 'interrupted', ended_at = @now, abort_detail = @detail
    WHERE id = @id
  `);
  const markCommitted = db.prepare(
    "UPDATE deliveries SET state = 'committed', ended_at = @now WHERE id = @id",
  );
  const insertEvent = db.prepare(`
    INSERT INTO delivery_events (delivery_id, seq, at, type, data)
    VALUES (@id,
      (SELECT COALESCE(MAX(seq), 0) + 1 FROM delivery_events WHERE delivery_id = @id),
      @now, @type, @data)
  `);
  const deleteStaged = db.prepare('DELETE FROM messages WHERE staged = 1');
  const closeSessions = db.prepare('UPDATE sessions SET closed_at = ? WHERE closed_at IS NULL');

  return db.transaction((): RecoveryReport => {
    const report: RecoveryReport = {
      interrupted: [],
      completed: [],
      removedStagedMessages: 0,
      closedSessions: 0,
    };
    const rows = openDeliveries.all() as Array<{ id: string; staged: number | null }>;

    for (const { id, staged } of rows) {
      if (staged === 0) {
        markCommitted.run({ id, now });
        insertEvent.run({ id, now, type: 'delivery.recovered', data: '{}' });
        report.completed.push(id);
      } else {
        markInterrupted.run({ id, now, detail: INTERRUPTED_DETAIL });
        const data = JSON.stringify({ detail: INTERRUPTED_DETAIL });
        insertEvent.run({ id, now, type: 'delivery.interrupted', data });
        report.interrupted.push(id);
      }
    }
    report.removedStagedMessages = deleteStaged.run().changes;
    report.closedSessions = closeSessions.run(now).changes;
    return report;
  })();
}
