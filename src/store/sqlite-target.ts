import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';

import { addressForLookup } from '../address/index.js';
import type { AbortReason } from '../delivery/abort-reason.js';
import { readInChunks, type BodyBuffer } from '../delivery/body-buffer.js';
import { SmtpError } from '../delivery/smtp-error.js';
import type { Delivery, DeliveryTarget, MsgMetadata } from '../delivery/types.js';
import type { MessageHeader } from '../message/header.js';
import { MessageStaging, type MessageToStage } from './message-staging.js';
import { parseMessage, type ParsedMessage } from './parse/parse-message.js';
import { MimeLimitError } from './parse/parser-options.js';
import type { StoredPart } from './parse/parts.js';
import type { MessageBodies } from './part-content.js';
import { compressRawChunk, RAW_CHUNK_BYTES, type RawChunk } from './raw-source.js';
import { RetentionPruner, type RetentionPolicy } from './retention.js';
import { SearchIndex } from './search-index.js';
import { TagStore } from './tags.js';
import { TurnTransaction } from './turn-transaction.js';
import { WriteLane } from './write-lane.js';

export interface SqliteTargetOptions {
  db: Database;
  logger: Logger;
  retention: RetentionPolicy;
  /** Clock in milliseconds since the epoch, replaceable so that tests control time. */
  now?: () => number;
  /**
   * Whether commit() waits until the message is committed to the database file (true by
   * default). The core turns it off because its pipeline waits for that itself, after it
   * has recorded the commit step, so that both reach the file in one SQLite commit.
   */
  durableCommit?: boolean;
}

/** Builds the reply for a storage failure: 451, so that the client retries later. */
function storageError(cause: unknown): SmtpError {
  return new SmtpError(451, '4.3.0', 'Temporary storage failure, try again later', { cause });
}

/**
 * Builds the reply for a message over a MIME limit: 552 with 5.3.4 (RFC 3463, "message too
 * big for system"), the reply to a message over the size limit, because a client that
 * retries sends the same structure again.
 */
function mimeLimitError(cause: MimeLimitError): SmtpError {
  return new SmtpError(552, '5.3.4', `Error: ${cause.message}`, { cause });
}

/**
 * Maximum content of the parts inserted in one transaction, in bytes. A larger part gets
 * a transaction of its own. Other sessions are served between these transactions.
 */
const PART_BATCH_BYTES = 1024 * 1024;

/**
 * The SQLite store as a delivery target. It follows the staging protocol of the delivery
 * contract: `start` and `addRcpt` write nothing, `body` parses the message and inserts it
 * with staged = 1, `commit` makes it visible (and prunes by the retention policy) in one
 * transaction, and `abort` deletes the staged rows.
 *
 * `body` stages in several writes: the message row with its header fields first, then the
 * parts in batches, and the raw source last, read from the body buffer only then, one
 * compressed chunk per write. So a large message does not block the event loop in one
 * long write, and its raw source and decoded parts are not in memory at the same time.
 * These writes and the one in `commit` go through one WriteLane for all deliveries, so
 * other sessions are served between them.
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
    const searchIndex = new SearchIndex(db);
    const tags = new TagStore(db, options.logger);
    const now = options.now ?? Date.now;
    const turn = TurnTransaction.of(db);
    const writing = new Set<object>();
    // A delivery that is writing its message will soon await a commit too. Holding the
    // commit for it lets parallel sessions share one commit.
    turn.addHold(() => writing.size > 0);

    this.store = {
      now,
      writing,
      durableCommit: options.durableCommit ?? true,
      lane: new WriteLane(),
      stage: (message) => {
        turn.enter();
        staging.stage(message);
      },
      stageParts: (id, parts, bodies) => {
        turn.enter();
        staging.stageParts(id, parts, bodies);
      },
      clearRaw: (id) => {
        turn.enter();
        return staging.clearRaw(id);
      },
      storeRawChunk: (id, seq, chunk) => {
        turn.enter();
        return staging.storeRawChunk(id, seq, chunk);
      },
      durable: () => turn.durable(),
      mark: () => turn.mark(),
      failedSince: (mark) => turn.failedSince(mark),
      publish: (id) => {
        turn.enter();
        db.transaction(() => {
          if (!staging.publish(id)) {
            throw new Error(
              `No staged message ${id} to commit, because it was removed after body()`,
            );
          }
          searchIndex.index(id);
          tags.applyAutomatic(id);
          pruner.pruneAfterPublish(now());
        })();
      },
      discard: (id) => {
        turn.enter();
        staging.discard(id);
      },
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
  /** Deliveries between the start of body() and their commit or abort. */
  writing: Set<object>;
  /** See SqliteTargetOptions.durableCommit. */
  durableCommit: boolean;
  /** Queue for every write below except `discard`, which abort() runs at once. */
  lane: WriteLane;
  stage(message: MessageToStage): void;
  stageParts(id: string, parts: StoredPart[], bodies: MessageBodies): void;
  /** Deletes the stored raw chunks. Returns false when the staged message is gone. */
  clearRaw(id: string): boolean;
  /** Stores one raw chunk. Returns false when the staged message is gone. */
  storeRawChunk(id: string, seq: number, chunk: RawChunk): boolean;
  /**
   * Makes the staged message visible, indexes it for search, applies its automatic tags
   * and prunes by retention, in one transaction.
   */
  publish(id: string): void;
  discard(id: string): void;
  /** Resolves once the writes so far are committed to the database file. */
  durable(): Promise<void>;
  /** See TurnTransaction.mark. */
  mark(): number;
  /** See TurnTransaction.failedSince. */
  failedSince(mark: number): boolean;
}

/** `staging`: some rows are written, but the raw source is still missing. */
type State = 'open' | 'staging' | 'staged' | 'committed' | 'aborted';

/** One delivery on the SQLite target. */
class SqliteDelivery implements Delivery {
  private readonly recipients = new Map<string, string>();
  private state: State = 'open';
  /** Mark of the shared transactions from the start of body(); see TurnTransaction.mark. */
  private writesSince = 0;

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
    const startedParsing = Date.now();
    this.writesSince = this.store.mark();
    this.store.writing.add(this);
    let counts: { parts: number; warnings: number } | null;
    try {
      counts = await this.stageParsed(header, body);
      // A null result or false means that abort() arrived meanwhile and nothing is left
      // staged.
      if (counts === null || !(await this.stageRaw(body))) {
        return;
      }
    } catch (error) {
      this.store.writing.delete(this);
      throw error;
    }
    this.state = 'staged';
    this.logger.debug(
      { bytes: body.size, ...counts, ms: Date.now() - startedParsing },
      'message staged',
    );
  }

  /**
   * Parses the message and stages everything but its raw source. Returns the number of
   * parts and warnings, or null when the delivery was aborted meanwhile.
   */
  private async stageParsed(
    header: MessageHeader,
    body: BodyBuffer,
  ): Promise<{ parts: number; warnings: number } | null> {
    const receivedAt = this.store.now();
    let parsed: ParsedMessage;
    try {
      parsed = await parseMessage(body, header, receivedAt);
    } catch (error) {
      if (error instanceof MimeLimitError) {
        throw mimeLimitError(error);
      }
      throw error;
    }

    const staged = await this.write(body.size, () => {
      this.store.stage({
        meta: this.meta,
        mailFrom: this.mailFrom,
        recipients: [...this.recipients.values()],
        receivedAt,
        size: body.size,
        parsed,
      });
      this.state = 'staging';
    });
    if (!staged) {
      return null;
    }

    for (const batch of batchParts(parsed.parts, PART_BATCH_BYTES)) {
      const written = await this.write(body.size, () => {
        this.store.stageParts(this.meta.id, batch, parsed);
      });
      if (!written) {
        return null;
      }
      // The rows hold the content now. Dropping it lets the memory be reclaimed before
      // the raw source is read.
      for (const part of batch) {
        part.content = null;
      }
    }
    return { parts: parsed.parts.length, warnings: parsed.warnings.length };
  }

  /**
   * Reads the raw source in chunks of RAW_CHUNK_BYTES and stores each, compressed, in the
   * staged message in a write lane task of its own. So a delivery keeps one chunk of its
   * raw source in memory at a time. Returns false when the delivery was aborted meanwhile.
   */
  private async stageRaw(body: BodyBuffer): Promise<boolean> {
    const id = this.meta.id;
    if (!(await this.write(0, () => this.requireStaged(this.store.clearRaw(id))))) {
      return false;
    }
    const chunks = readInChunks(body.open(), RAW_CHUNK_BYTES);
    try {
      for (let seq = 0; ; seq += 1) {
        const next = await this.readRawChunk(chunks);
        if (next.done) return true;
        const bytes = next.value.length;
        const chunk = await this.compress(next.value);
        const written = await this.write(bytes, () =>
          this.requireStaged(this.store.storeRawChunk(id, seq, chunk)),
        );
        if (!written) return false;
      }
    } finally {
      // Closes the file stream when the loop ends early.
      await chunks.return(undefined);
    }
  }

  private async readRawChunk(chunks: AsyncGenerator<Buffer>): Promise<IteratorResult<Buffer>> {
    try {
      return await chunks.next();
    } catch (error) {
      this.logger.error({ err: error }, 'reading the message body failed');
      throw storageError(error);
    }
  }

  private async compress(bytes: Buffer): Promise<RawChunk> {
    try {
      return await compressRawChunk(bytes);
    } catch (error) {
      this.logger.error({ err: error, bytes: bytes.length }, 'compressing the message failed');
      throw storageError(error);
    }
  }

  /** Throws when a raw source write found no staged message, which runStep reports. */
  private requireStaged(found: boolean): void {
    if (!found) {
      throw new Error(`No staged message ${this.meta.id} to store the raw source in`);
    }
  }

  /**
   * Runs one staging write in the write lane, unless the delivery was aborted before its
   * turn. Resolves to false when it was, and rejects with a 451 reply when the write fails.
   */
  private write(bytes: number, step: () => void): Promise<boolean> {
    return this.store.lane.run(() => {
      if (this.aborted) {
        // abort() arrived while the message was parsed or queued, and discarded
        // whatever was staged before.
        return false;
      }
      this.runStep(bytes, step);
      return true;
    });
  }

  private runStep<T>(bytes: number, step: () => T): T {
    try {
      return step();
    } catch (error) {
      this.logger.error({ err: error, bytes }, 'staging the message failed');
      throw storageError(error);
    }
  }

  // A getter, because TypeScript would keep the state narrowed across an await.
  private get aborted(): boolean {
    return this.state === 'aborted';
  }

  async commit(): Promise<void> {
    if (this.state !== 'staged') {
      throw new Error(`commit() called on a delivery in state ${this.state}`);
    }
    // Publishing indexes the message for search, which reads its text and HTML, so it
    // waits for its turn in the write lane like the other large writes.
    try {
      await this.store.lane.run(() => {
        // A failed commit of an earlier shared transaction took some of this message's
        // rows with it, such as a raw chunk, although nothing awaited them. The rest must
        // not become visible as if the message were whole.
        if (this.store.failedSince(this.writesSince)) {
          const error = new Error('A commit of the staged message failed, so part of it is lost');
          this.logger.error({ err: error }, 'committing the message failed');
          this.discardAfterFailure();
          throw storageError(error);
        }
        try {
          this.store.publish(this.meta.id);
        } catch (error) {
          this.logger.error({ err: error }, 'committing the message failed');
          throw storageError(error);
        }
      });
    } finally {
      this.store.writing.delete(this);
    }
    if (this.store.durableCommit) {
      try {
        await this.store.durable();
      } catch (error) {
        this.logger.error({ err: error }, 'committing the message failed');
        throw storageError(error);
      }
    }
    this.state = 'committed';
  }

  /** Removes what is left of the staged message, so that it does not wait for recovery. */
  private discardAfterFailure(): void {
    this.state = 'aborted';
    try {
      this.store.discard(this.meta.id);
    } catch (error) {
      // Recovery removes the staged rows at the next start.
      this.logger.error({ err: error }, 'discarding the staged message failed');
    }
  }

  async abort(reason: AbortReason): Promise<void> {
    const wasStaged = this.state === 'staging' || this.state === 'staged';
    this.state = 'aborted';
    this.store.writing.delete(this);
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

/**
 * Splits parts into groups whose content adds up to at most `maxBytes`, keeping their
 * order. A part larger than `maxBytes` forms a group of its own.
 */
function batchParts(parts: StoredPart[], maxBytes: number): StoredPart[][] {
  const batches: StoredPart[][] = [];
  let batch: StoredPart[] = [];
  let bytes = 0;
  for (const part of parts) {
    if (batch.length > 0 && bytes + part.size > maxBytes) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(part);
    bytes += part.size;
  }
  if (batch.length > 0) {
    batches.push(batch);
  }
  return batches;
}
