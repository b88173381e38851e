import type { Database, Statement } from 'better-sqlite3';
import type { Logger } from 'pino';

import {
  buildSearchRow,
  SEARCH_SOURCE_NAMES,
  searchSourceSql,
  type SearchSource,
} from '../search/search-row.js';
import { SEARCH_TABLE } from '../search/search-sql.js';
import { TagStore } from './tags.js';

/**
 * Number of messages indexed per transaction when the index is filled for messages stored
 * before it existed, so that deliveries are served between the batches.
 */
const BACKFILL_BATCH = 200;

/**
 * Writes the search rows of visible messages into the FTS5 table, which keeps only the
 * index (see buildSearchRow in src/search/search-row.ts for what a row contains).
 */
export class SearchIndex {
  private readonly source: Statement;
  private readonly insert: Statement;
  private readonly remove: Statement;
  private readonly missing: Statement;

  constructor(private readonly db: Database) {
    const sourceColumns = searchSourceSql('m', 'd').map(
      (sql, index) => `${sql} AS ${SEARCH_SOURCE_NAMES[index]}`,
    );
    this.source = db.prepare(`
      SELECT d.seq, ${sourceColumns.join(', ')}
      FROM messages m JOIN deliveries d ON d.id = m.id
      WHERE m.id = ? AND m.staged = 0`);
    this.insert = db.prepare(`
      INSERT INTO ${SEARCH_TABLE} (
        rowid, search_text, subject, from_addr, to_addr, cc_addr, bcc_addr, reply_to_addr,
        message_id
      ) VALUES (
        @seq, @search_text, @subject, @from_addr, @to_addr, @cc_addr, @bcc_addr, @reply_to_addr,
        @message_id
      )`);
    this.remove = db.prepare(`DELETE FROM ${SEARCH_TABLE} WHERE rowid = ?`);
    // Walks the deliveries in seq order from where the previous batch stopped, so that the
    // whole backfill reads each delivery once.
    this.missing = db.prepare(`
      SELECT m.id, d.seq FROM deliveries d JOIN messages m ON m.id = d.id
      WHERE d.seq > @after AND m.staged = 0
        AND NOT EXISTS (SELECT 1 FROM ${SEARCH_TABLE} s WHERE s.rowid = d.seq)
      ORDER BY d.seq LIMIT @limit`);
  }

  /**
   * Writes the search row of one visible message, replacing any earlier one. Returns false
   * when there is no such message. The commit calls it in the transaction that makes the
   * message visible, so a message is never listed without being searchable.
   */
  index(messageId: string): boolean {
    const row = this.source.get(messageId) as (SearchSource & { seq: number }) | undefined;
    if (row === undefined) return false;
    this.remove.run(row.seq);
    this.insert.run({ seq: row.seq, ...buildSearchRow(row) });
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
    let after = 0;
    for (;;) {
      const batch = this.db.transaction(() => {
        const rows = this.missing.all({ after, limit: BACKFILL_BATCH }) as Array<{
          id: string;
          seq: number;
        }>;
        for (const { id } of rows) {
          this.index(id);
          tags.applyAutomatic(id);
        }
        return rows;
      })();
      total += batch.length;
      if (batch.length < BACKFILL_BATCH) return total;
      after = batch.at(-1)?.seq ?? after;
    }
  }
}
