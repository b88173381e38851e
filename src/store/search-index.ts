import type { Database, Statement } from 'better-sqlite3';
import type { Logger } from 'pino';

import { htmlToSearchText } from '../search/html-text.js';
import { cleanSearchText, foldSubject } from '../search/query-parser.js';
import { SEARCH_TABLE } from '../search/search-sql.js';
import type { AddressEntry } from './query-types.js';
import { TagStore } from './tags.js';

/**
 * Number of messages indexed per transaction when the index is filled for messages stored
 * before it existed, so that deliveries are served between the batches.
 */
const BACKFILL_BATCH = 200;

interface IndexSourceRow {
  seq: number;
  id: string;
  mail_from: string;
  message_id: string | null;
  subject: string;
  from_addresses: string;
  to_addresses: string;
  cc_addresses: string;
  reply_to_addresses: string;
  envelope_recipients: string;
  text: string | null;
  html: string | null;
}

/**
 * Writes the search text of visible messages into the FTS5 table. Free words search the
 * decoded text, never the transfer encoding. The text is made of:
 * - the subject with its encoded-words decoded;
 * - the addresses and names of From, To, Cc, Bcc and Reply-To, and Return-Path;
 * - the envelope sender and recipients;
 * - the decoded text body and the words of the HTML body;
 * - attachment file names;
 * - the decoded values of `X-` header fields, such as X-Test-Run or X-Mailer.
 *
 * Other header fields (Received, DKIM-Signature and the like) are not searched, because
 * their host names and tokens would match almost every word a tester looks for.
 */
export class SearchIndex {
  private readonly source: Statement;
  private readonly headers: Statement;
  private readonly fileNames: Statement;
  private readonly insert: Statement;
  private readonly remove: Statement;
  private readonly missing: Statement;

  constructor(private readonly db: Database) {
    this.source = db.prepare(`
      SELECT d.seq, m.id, d.mail_from, m.message_id, m.subject, m.from_addresses,
        m.to_addresses, m.cc_addresses, m.reply_to_addresses, m.envelope_recipients,
        m.text, m.html
      FROM messages m JOIN deliveries d ON d.id = m.id
      WHERE m.id = ? AND m.staged = 0`);
    this.headers = db.prepare(`
      SELECT name, value FROM headers
      WHERE message_id = ? AND (name LIKE 'x-%' OR name LIKE 'bcc' OR name LIKE 'return-path')
      ORDER BY position`);
    this.fileNames = db.prepare(
      'SELECT filename FROM parts WHERE message_id = ? AND filename IS NOT NULL ORDER BY position',
    );
    this.insert = db.prepare(`
      INSERT INTO ${SEARCH_TABLE} (
        rowid, search_text, subject, from_addr, to_addr, cc_addr, bcc_addr, reply_to_addr,
        message_id
      ) VALUES (
        @seq, @searchText, @subject, @from, @to, @cc, @bcc, @replyTo, @messageId
      )`);
    this.remove = db.prepare(`DELETE FROM ${SEARCH_TABLE} WHERE rowid = ?`);
    this.missing = db.prepare(`
      SELECT m.id FROM messages m JOIN deliveries d ON d.id = m.id
      WHERE m.staged = 0 AND d.seq NOT IN (SELECT rowid FROM ${SEARCH_TABLE})
      LIMIT ?`);
  }

  /**
   * Writes the search row of one visible message, replacing any earlier one. Returns false
   * when there is no such message. The commit calls it in the transaction that makes the
   * message visible, so a message is never listed without being searchable.
   */
  index(messageId: string): boolean {
    const row = this.source.get(messageId) as IndexSourceRow | undefined;
    if (row === undefined) return false;
    const headers = this.headers.all(messageId) as Array<{ name: string; value: string }>;
    const fileNames = (this.fileNames.all(messageId) as Array<{ filename: string }>).map(
      (part) => part.filename,
    );
    this.remove.run(row.seq);
    this.insert.run(buildSearchRow(row, headers, fileNames));
    return true;
  }

  /**
   * Indexes every visible message that has no search row yet, which are the messages
   * stored before the index existed, in batches, and gives them their automatic tags.
   * Returns the number indexed. `logger` receives the warnings of the automatic tags.
   */
  backfill(logger?: Pick<Logger, 'warn'>): number {
    const tags = new TagStore(this.db, logger);
    let total = 0;
    for (;;) {
      const batch = this.db.transaction(() => {
        const ids = (this.missing.all(BACKFILL_BATCH) as Array<{ id: string }>).map(
          (row) => row.id,
        );
        for (const id of ids) {
          this.index(id);
          tags.applyAutomatic(id);
        }
        return ids;
      })();
      total += batch.length;
      if (batch.length < BACKFILL_BATCH) return total;
    }
  }
}

/** Builds the column values of one search row. */
function buildSearchRow(
  row: IndexSourceRow,
  headers: Array<{ name: string; value: string }>,
  fileNames: string[],
): Record<string, string | number> {
  const from = parseAddresses(row.from_addresses);
  const to = parseAddresses(row.to_addresses);
  const cc = parseAddresses(row.cc_addresses);
  const replyTo = parseAddresses(row.reply_to_addresses);
  const envelope = JSON.parse(row.envelope_recipients) as string[];

  const bccHeaders = headers.filter((field) => field.name.toLowerCase() === 'bcc');
  const inHeaders = new Set([...to, ...cc].map((entry) => entry.address.toLowerCase()));
  // Envelope recipients that no To or Cc field names are the blind copies.
  const blind = envelope.filter((address) => !inHeaders.has(address.toLowerCase()));
  const bcc = [...bccHeaders.map((field) => field.value), ...blind].join(' ');

  const addressText = (entries: AddressEntry[]): string =>
    entries.map((entry) => `${entry.name} ${entry.address}`).join(' ');
  const body = [row.text ?? '', row.html === null ? '' : htmlToSearchText(row.html)];
  const searchText = [
    addressText(from),
    row.subject,
    addressText(to),
    addressText(cc),
    bcc,
    addressText(replyTo),
    row.mail_from,
    envelope.join(' '),
    ...headers.filter((field) => field.name.toLowerCase() !== 'bcc').map((field) => field.value),
    ...body,
    ...fileNames,
  ];

  return {
    seq: row.seq,
    searchText: cleanSearchText(searchText.join(' ')),
    subject: foldSubject(row.subject),
    from: cleanSearchText(addressText(from)),
    to: cleanSearchText(addressText(to)),
    cc: cleanSearchText(addressText(cc)),
    bcc: cleanSearchText(bcc),
    replyTo: cleanSearchText(addressText(replyTo)),
    messageId: cleanSearchText(row.message_id ?? ''),
  };
}

function parseAddresses(json: string): AddressEntry[] {
  return JSON.parse(json) as AddressEntry[];
}
