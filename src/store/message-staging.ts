import type { Database, Statement } from 'better-sqlite3';

import type { MsgMetadata } from '../delivery/types.js';
import { prepareInsertDelivery } from './delivery-rows.js';
import type { ParsedMessage } from './parse/parse-message.js';
import type { StoredPart } from './parse/parts.js';
import { findContentSource, type MessageBodies } from './part-content.js';
import type { RawChunk } from './raw-source.js';

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

/**
 * The writes behind the staging protocol. `stage` inserts a message with staged = 1,
 * `stageParts` adds its parts and `storeRawChunk` its raw source, `publish` makes it visible
 * and `discard` removes it. Readers see only staged = 0 rows, like a maildir that writes
 * to tmp/ and renames into new/, so a message may be staged in several transactions.
 */
export class MessageStaging {
  private readonly insertDelivery: ReturnType<typeof prepareInsertDelivery>;
  private readonly deleteStaged: Statement;
  private readonly insertMessage: Statement;
  private readonly insertHeader: Statement;
  private readonly insertPart: Statement;
  private readonly isStaged: Statement;
  private readonly deleteRawChunks: Statement;
  private readonly insertRawChunk: Statement;
  private readonly publishStaged: Statement;

  constructor(private readonly db: Database) {
    this.insertDelivery = prepareInsertDelivery(db);
    this.deleteStaged = db.prepare('DELETE FROM messages WHERE id = ? AND staged = 1');
    this.insertMessage = db.prepare(`
      INSERT INTO messages (
        id, staged, received_at, message_id, subject, from_addresses, to_addresses,
        cc_addresses, reply_to_addresses, envelope_recipients, date, date_is_received_at,
        size, snippet, has_attachments, attachment_count, warnings, text, html
      ) VALUES (
        @id, 1, @receivedAt, @messageId, @subject, @from, @to,
        @cc, @replyTo, @envelope, @date, @dateIsReceivedAt,
        @size, @snippet, @hasAttachments, @attachmentCount, @warnings, @text, @html
      )
    `);
    this.insertHeader = db.prepare(`
      INSERT INTO headers (message_id, position, name, value, raw_value)
      VALUES (?, ?, ?, ?, ?)
    `);
    this.insertPart = db.prepare(`
      INSERT INTO parts (
        message_id, part_id, parent_part_id, position, kind, content_type, charset,
        disposition, filename, download_name, content_id, size, content_source, content
      ) VALUES (
        @messageId, @partId, @parentPartId, @position, @kind, @contentType, @charset,
        @disposition, @filename, @downloadName, @contentId, @size, @contentSource, @content
      )
    `);
    this.isStaged = db.prepare('SELECT 1 FROM messages WHERE id = ? AND staged = 1');
    this.deleteRawChunks = db.prepare('DELETE FROM message_raw_chunks WHERE message_id = ?');
    this.insertRawChunk = db.prepare(`
      INSERT INTO message_raw_chunks (message_id, seq, compression, data) VALUES (?, ?, ?, ?)`);
    this.publishStaged = db.prepare('UPDATE messages SET staged = 0 WHERE id = ? AND staged = 1');
  }

  /**
   * Inserts the message and its header fields with staged = 1, in one transaction,
   * without the raw source, which `storeRawChunk` adds. The parts are left to `stageParts`. The
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
      });
      for (const field of parsed.headers) {
        this.insertHeader.run(meta.id, field.position, field.name, field.value, field.rawValue);
      }
    })();
  }

  /**
   * Inserts parts of a staged message, in one transaction. A body part whose content is
   * byte for byte the message's text or HTML, `bodies` as staged, stores a reference to
   * that column in place of a second copy.
   */
  stageParts(id: string, parts: StoredPart[], bodies: MessageBodies): void {
    this.db.transaction(() => {
      for (const part of parts) {
        const contentSource =
          part.kind === 'body' && part.content !== null
            ? findContentSource(part.content, part.contentType, bodies)
            : null;
        this.insertPart.run({
          messageId: id,
          ...part,
          contentSource,
          content: contentSource === null ? part.content : null,
        });
      }
    })();
  }

  /**
   * Deletes the raw source chunks stored for a staged message, before `storeRawChunk`
   * stores them again. Returns false when no staged row was found.
   */
  clearRaw(id: string): boolean {
    if (this.isStaged.get(id) === undefined) return false;
    this.deleteRawChunks.run(id);
    return true;
  }

  /**
   * Stores chunk number `seq` of the raw source of a staged message (see raw-source.ts).
   * Each call binds one compressed chunk, so a large message never passes through SQLite
   * whole. Returns false when no staged row was found.
   */
  storeRawChunk(id: string, seq: number, chunk: RawChunk): boolean {
    if (this.isStaged.get(id) === undefined) return false;
    this.insertRawChunk.run(id, seq, chunk.compression, chunk.data);
    return true;
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
