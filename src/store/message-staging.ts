import type { Database, Statement } from 'better-sqlite3';

import type { MsgMetadata } from '../delivery/types.js';
import { prepareInsertDelivery } from './delivery-rows.js';
import type { ParsedMessage } from './parse/parse-message.js';
import type { StoredPart } from './parse/parts.js';

/** A message ready to be staged: what was parsed from it, its size and the envelope. */
export interface MessageToStage {
  meta: MsgMetadata;
  mailFrom: string;
  /** Recipients this delivery accepted, cleaned and without duplicates, in RCPT order. */
  recipients: string[];
  receivedAt: number;
  /** Size of the raw message in bytes. */
  size: number;
  parsed: ParsedMessage;
}

// Placeholder for the NOT NULL raw column until storeRaw() fills it in.
const EMPTY_RAW = Buffer.alloc(0);

/**
 * The writes behind the staging protocol. `stage` inserts a message with staged = 1,
 * `stageParts` adds its parts and `storeRaw` its raw source, `publish` makes it visible
 * and `discard` removes it. Readers see only staged = 0 rows, like a maildir that writes
 * to tmp/ and renames into new/, so a message may be staged in several transactions.
 */
export class MessageStaging {
  private readonly insertDelivery: ReturnType<typeof prepareInsertDelivery>;
  private readonly deleteStaged: Statement;
  private readonly insertMessage: Statement;
  private readonly insertHeader: Statement;
  private readonly insertPart: Statement;
  private readonly updateRaw: Statement;
  private readonly publishStaged: Statement;

  constructor(private readonly db: Database) {
    this.insertDelivery = prepareInsertDelivery(db);
    this.deleteStaged = db.prepare('DELETE FROM messages WHERE id = ? AND staged = 1');
    this.insertMessage = db.prepare(`
      INSERT INTO messages (
        id, staged, received_at, message_id, subject, from_addresses, to_addresses,
        cc_addresses, reply_to_addresses, envelope_recipients, date, date_is_received_at,
        size, snippet, has_attachments, attachment_count, warnings, text, html, raw
      ) VALUES (
        @id, 1, @receivedAt, @messageId, @subject, @from, @to,
        @cc, @replyTo, @envelope, @date, @dateIsReceivedAt,
        @size, @snippet, @hasAttachments, @attachmentCount, @warnings, @text, @html, @raw
      )
    `);
    this.insertHeader = db.prepare(`
      INSERT INTO headers (message_id, position, name, value, raw_value)
      VALUES (?, ?, ?, ?, ?)
    `);
    this.insertPart = db.prepare(`
      INSERT INTO parts (
        message_id, part_id, parent_part_id, position, kind, content_type, charset,
        disposition, filename, download_name, content_id, size, content
      ) VALUES (
        @messageId, @partId, @parentPartId, @position, @kind, @contentType, @charset,
        @disposition, @filename, @downloadName, @contentId, @size, @content
      )
    `);
    this.updateRaw = db.prepare('UPDATE messages SET raw = ? WHERE id = ? AND staged = 1');
    this.publishStaged = db.prepare('UPDATE messages SET staged = 0 WHERE id = ? AND staged = 1');
  }

  /**
   * Inserts the message and its header fields with staged = 1, in one transaction, with
   * an empty raw source that `storeRaw` replaces. The parts are left to `stageParts`. The
   * delivery row is created too if the trace writer has not created it, so that the
   * message's foreign key is satisfied.
   */
  stage(message: MessageToStage): void {
    const { meta, parsed } = message;
    const attachmentCount = parsed.parts.filter((part) => part.kind === 'attachment').length;

    this.db.transaction(() => {
      this.insertDelivery(meta, message.mailFrom);
      this.deleteStaged.run(meta.id);
      this.insertMessage.run({
        id: meta.id,
        receivedAt: message.receivedAt,
        messageId: parsed.messageId,
        subject: parsed.subject,
        from: JSON.stringify(parsed.from),
        to: JSON.stringify(parsed.to),
        cc: JSON.stringify(parsed.cc),
        replyTo: JSON.stringify(parsed.replyTo),
        envelope: JSON.stringify(message.recipients),
        date: parsed.date,
        dateIsReceivedAt: parsed.dateIsReceivedAt ? 1 : 0,
        size: message.size,
        snippet: parsed.snippet,
        hasAttachments: attachmentCount > 0 ? 1 : 0,
        attachmentCount,
        warnings: JSON.stringify(parsed.warnings),
        text: parsed.text,
        html: parsed.html,
        raw: EMPTY_RAW,
      });
      for (const field of parsed.headers) {
        this.insertHeader.run(meta.id, field.position, field.name, field.value, field.rawValue);
      }
    })();
  }

  /** Inserts parts of a staged message, in one transaction. */
  stageParts(id: string, parts: StoredPart[]): void {
    this.db.transaction(() => {
      for (const part of parts) {
        this.insertPart.run({ messageId: id, ...part });
      }
    })();
  }

  /**
   * Stores the raw source of a staged message. Returns false when no staged row was found.
   * SQLite copies the bound bytes and builds the row from the copy, so the statement
   * needs about twice the size of `raw` in memory on top of `raw` itself.
   */
  storeRaw(id: string, raw: Buffer): boolean {
    return this.updateRaw.run(raw, id).changes === 1;
  }

  /** Makes a staged message visible. Returns false when no staged row was found. */
  publish(id: string): boolean {
    return this.publishStaged.run(id).changes === 1;
  }

  /** Removes a staged message with its headers and parts, and leaves a visible one alone. */
  discard(id: string): void {
    this.deleteStaged.run(id);
  }
}
