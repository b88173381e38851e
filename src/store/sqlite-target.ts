import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';

import { addressForLookup } from '../address/index.js';
import type { AbortReason } from '../delivery/abort-reason.js';
import type { BodyBuffer } from '../delivery/body-buffer.js';
import { SmtpError } from '../delivery/smtp-error.js';
import type { Delivery, DeliveryTarget, MsgMetadata } from '../delivery/types.js';
import type { MessageHeader } from '../message/header.js';
import { MessageStaging, type MessageToStage } from './message-staging.js';
import { parseMessage } from './parse/parse-message.js';
import { RetentionPruner, type RetentionPolicy } from './retention.js';

export interface SqliteTargetOptions {
  db: Database;
  logger: Logger;
  retention: RetentionPolicy;
  /** Clock in milliseconds since the epoch, replaceable so that tests control time. */
  now?: () => number;
}

/** Builds the reply for a storage failure: 451, so that the client retries later. */
function storageError(cause: unknown): SmtpError {
  return new SmtpError(451, '4.3.0', 'Temporary storage failure, try again later', { cause });
}

/**
 * The SQLite store as a delivery target. It follows the staging protocol of the delivery
 * contract: `start` and `addRcpt` write nothing, `body` parses the message and inserts it
 * with staged = 1 in one transaction, `commit` makes it visible (and prunes by the
 * retention policy) in another, and `abort` deletes the staged rows.
 *
 * The delivery rows, recipients and trace come from the event bus through TraceWriter,
 * so this target writes only the message.
 */
export class SqliteTarget implements DeliveryTarget {
  readonly name = 'sqlite';
  private readonly store: MessageStore;

  constructor(private readonly options: SqliteTargetOptions) {
    const { db } = options;
    const staging = new MessageStaging(db);
    const pruner = new RetentionPruner(db, options.retention);
    const now = options.now ?? Date.now;

    this.store = {
      now,
      stage: (message) => staging.stage(message),
      publish: (id) =>
        db.transaction(() => {
          if (!staging.publish(id)) {
            throw new Error(
              `No staged message ${id} to commit, because it was removed after body()`,
            );
          }
          pruner.prune(now());
        })(),
      discard: (id) => staging.discard(id),
    };
  }

  async start(meta: MsgMetadata, mailFrom: string): Promise<Delivery> {
    const logger = this.options.logger.child({ msgId: meta.id, cid: meta.conn.sessionId });
    return new SqliteDelivery(meta, mailFrom, this.store, logger);
  }
}

/** The writes a delivery needs, shared by every delivery of one target. */
interface MessageStore {
  now(): number;
  stage(message: MessageToStage): void;
  /** Makes the staged message visible and prunes by retention, in one transaction. */
  publish(id: string): void;
  discard(id: string): void;
}

type State = 'open' | 'staged' | 'committed' | 'aborted';

/** One delivery on the SQLite target. */
class SqliteDelivery implements Delivery {
  private readonly recipients = new Map<string, string>();
  private state: State = 'open';

  constructor(
    private readonly meta: MsgMetadata,
    private readonly mailFrom: string,
    private readonly store: MessageStore,
    private readonly logger: Logger,
  ) {}

  /** Accepts every recipient, and ignores one whose lookup key was already added. */
  async addRcpt(rcptTo: string): Promise<void> {
    const key = addressForLookup(rcptTo);
    if (!this.recipients.has(key)) {
      this.recipients.set(key, rcptTo);
    }
  }

  async body(header: MessageHeader, body: BodyBuffer): Promise<void> {
    let raw: Buffer;
    try {
      raw = await body.readAll();
    } catch (error) {
      this.logger.error({ err: error }, 'reading the message body failed');
      throw storageError(error);
    }

    const receivedAt = this.store.now();
    const startedParsing = Date.now();
    const parsed = await parseMessage(raw, header, receivedAt);
    if (this.state === 'aborted') {
      // abort() arrived while the message was being parsed, so nothing is written.
      return;
    }

    try {
      this.store.stage({
        meta: this.meta,
        mailFrom: this.mailFrom,
        recipients: [...this.recipients.values()],
        receivedAt,
        raw,
        parsed,
      });
    } catch (error) {
      this.logger.error({ err: error, bytes: raw.length }, 'staging the message failed');
      throw storageError(error);
    }
    this.state = 'staged';
    this.logger.debug(
      {
        bytes: raw.length,
        parts: parsed.parts.length,
        warnings: parsed.warnings.length,
        ms: Date.now() - startedParsing,
      },
      'message staged',
    );
  }

  async commit(): Promise<void> {
    if (this.state !== 'staged') {
      throw new Error(`commit() called on a delivery in state ${this.state}`);
    }
    try {
      this.store.publish(this.meta.id);
    } catch (error) {
      this.logger.error({ err: error }, 'committing the message failed');
      throw storageError(error);
    }
    this.state = 'committed';
  }

  async abort(reason: AbortReason): Promise<void> {
    const wasStaged = this.state === 'staged';
    this.state = 'aborted';
    if (!wasStaged) return;
    try {
      this.store.discard(this.meta.id);
    } catch (error) {
      // The staged rows stay invisible, and recovery removes them at the next start.
      this.logger.error(
        { err: error, reason: reason.kind },
        'discarding the staged message failed',
      );
      throw error;
    }
  }
}
