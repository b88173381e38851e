import type { Database, Statement } from 'better-sqlite3';
import type { Logger } from 'pino';

import type {
  CoreEvent,
  DeliveryEvent,
  EventBus,
  SessionEvent,
  TranscriptLine,
} from '../delivery/events.js';
import { prepareInsertDelivery } from './delivery-rows.js';
import { TurnTransaction } from './turn-transaction.js';

/**
 * Persists every delivery and session event as it is emitted: the delivery rows with
 * their state, the recipients with their outcome, each step as a `delivery_events` row,
 * and the SMTP transcript. Writes are synchronous, so a step is stored before any later
 * bus subscriber receives it. They join the store's shared transaction (TurnTransaction),
 * which commits when a delivery awaits it or after a short delay.
 *
 * An event for a delivery that no longer exists (a user deleted it between its commit and
 * the commit event) is skipped. A failed write is logged and not rethrown, because the
 * trace must never change the outcome of the delivery that emitted the event.
 */
export class TraceWriter {
  private readonly insertDelivery: ReturnType<typeof prepareInsertDelivery>;
  private readonly insertEvent: Statement;
  private readonly insertRecipient: Statement;
  private readonly recordBody: Statement;
  private readonly markCommitted: Statement;
  private readonly markAborted: Statement;
  private readonly upsertSession: Statement;
  private readonly ensureSession: Statement;
  private readonly insertLine: Statement;
  private readonly closeSession: Statement;
  private readonly turn: TurnTransaction;

  constructor(
    db: Database,
    private readonly logger: Logger,
  ) {
    this.turn = TurnTransaction.of(db);
    this.insertDelivery = prepareInsertDelivery(db);
    this.insertEvent = db.prepare(`
      INSERT INTO delivery_events (delivery_id, seq, at, type, data)
      SELECT @id,
        (SELECT COALESCE(MAX(seq), 0) + 1 FROM delivery_events WHERE delivery_id = @id),
        @at, @type, @data
      WHERE EXISTS (SELECT 1 FROM deliveries WHERE id = @id)
    `);
    this.insertRecipient = db.prepare(`
      INSERT INTO recipients (delivery_id, position, address, original, status,
        reply_code, reply_enhanced_code, reply_text, at)
      SELECT @id,
        (SELECT COALESCE(MAX(position), 0) + 1 FROM recipients WHERE delivery_id = @id),
        @address, @original, @status, @code, @enhancedCode, @text, @at
      WHERE EXISTS (SELECT 1 FROM deliveries WHERE id = @id)
    `);
    this.recordBody = db.prepare(
      'UPDATE deliveries SET size = @size, header_warnings = @warnings WHERE id = @id',
    );
    this.markCommitted = db.prepare(
      "UPDATE deliveries SET state = 'committed', ended_at = @at WHERE id = @id",
    );
    // A delivery that this store already made visible keeps state 'committed' when the
    // pipeline aborts afterwards (another target failed its commit), because the message
    // stays stored. The abort kind and detail are recorded either way.
    this.markAborted = db.prepare(`
      UPDATE deliveries SET
        state = CASE WHEN state = 'committed' THEN state ELSE 'aborted' END,
        ended_at = @at, abort_kind = @kind, abort_detail = @detail
      WHERE id = @id
    `);
    this.upsertSession = db.prepare(`
      INSERT INTO sessions (id, remote_address, remote_port, local_address, local_port, opened_at)
      VALUES (@id, @remoteAddress, @remotePort, @localAddress, @localPort, @at)
      ON CONFLICT (id) DO UPDATE SET
        remote_address = excluded.remote_address, remote_port = excluded.remote_port,
        local_address = excluded.local_address, local_port = excluded.local_port,
        opened_at = excluded.opened_at
    `);
    this.ensureSession = db.prepare(
      'INSERT INTO sessions (id, opened_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING',
    );
    this.insertLine = db.prepare(`
      INSERT INTO session_lines (session_id, seq, at, direction, text)
      VALUES (@id,
        (SELECT COALESCE(MAX(seq), 0) + 1 FROM session_lines WHERE session_id = @id),
        @at, @direction, @text)
    `);
    this.closeSession = db.prepare('UPDATE sessions SET closed_at = ? WHERE id = ?');
  }

  /** Subscribes to `bus` and returns the function that unsubscribes. */
  attach(bus: EventBus): () => void {
    return bus.subscribe((event) => this.write(event));
  }

  /**
   * Stores one event. It does not throw, because a failure is logged with the event's ids.
   * The event's statements run in the shared transaction without a savepoint of their
   * own: a savepoint per event cost more than the statements, and a statement that fails
   * leaves at most the event's earlier row (a state change without its step, or the
   * reverse) in the trace.
   */
  write(event: CoreEvent): void {
    try {
      this.turn.enter();
      if ('deliveryId' in event) {
        this.writeDeliveryEvent(event);
      } else {
        this.writeSessionEvent(event);
      }
    } catch (error) {
      const ids = 'deliveryId' in event ? { msgId: event.deliveryId } : { cid: event.sessionId };
      this.logger.error({ err: error, ...ids, event: event.type }, 'trace write failed');
    }
  }

  private writeDeliveryEvent(event: DeliveryEvent): void {
    const id = event.deliveryId;
    switch (event.type) {
      case 'delivery.started':
        this.insertDelivery(event.meta, event.mailFrom);
        break;
      case 'rcpt':
        this.insertRecipient.run({
          id,
          address: event.address,
          original: event.original,
          status: event.status,
          code: event.reply.code,
          enhancedCode: event.reply.enhancedCode,
          text: event.reply.message,
          at: event.at,
        });
        break;
      case 'body.received':
        this.recordBody.run({ id, size: event.size, warnings: JSON.stringify(event.warnings) });
        break;
      case 'body.failed':
        break;
      case 'delivery.committed':
        this.markCommitted.run({ id, at: event.at });
        break;
      case 'delivery.aborted':
        this.markAborted.run({
          id,
          at: event.at,
          kind: event.reason.kind,
          detail: event.reason.detail,
        });
        break;
    }

    this.insertEvent.run({ id, at: event.at, type: event.type, data: eventData(event) });
  }

  private writeSessionEvent(event: SessionEvent): void {
    switch (event.type) {
      case 'session.opened':
        this.upsertSession.run({
          id: event.sessionId,
          remoteAddress: event.remoteAddress,
          remotePort: event.remotePort,
          localAddress: event.localAddress,
          localPort: event.localPort,
          at: event.at,
        });
        break;
      case 'session.transcript':
        this.appendLines(event.sessionId, event.lines);
        break;
      case 'session.closed':
        this.ensureSession.run(event.sessionId, event.at);
        this.closeSession.run(event.at, event.sessionId);
        break;
    }
  }

  private appendLines(sessionId: string, lines: TranscriptLine[]): void {
    const first = lines[0];
    if (!first) return;
    // Lines may arrive before session.opened if the SMTP side batches its events. The
    // opened event then fills in the addresses.
    this.ensureSession.run(sessionId, first.at);
    for (const line of lines) {
      this.insertLine.run({
        id: sessionId,
        at: line.at,
        direction: line.direction,
        text: line.text,
      });
    }
  }
}

/** Returns the event's own fields as JSON, without those stored in their own columns. */
function eventData(event: DeliveryEvent): string {
  const data: Record<string, unknown> = { ...event };
  delete data.type;
  delete data.deliveryId;
  delete data.at;
  return JSON.stringify(data);
}
