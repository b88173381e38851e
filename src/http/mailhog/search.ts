import type { Database, Statement } from 'better-sqlite3';

import { rawSourceSql, registerRawSourceFunctions } from '../../store/raw-source.js';

export type SearchKind = 'from' | 'to' | 'containing';

/**
 * MailHog's search: a substring match without regard to ASCII case. `from` matches the
 * envelope sender or a From header, `to` an envelope recipient or a To header, and
 * `containing` any header value or the body as sent, still transfer-encoded, which is
 * what MailHog compares.
 */
export class MailhogSearch {
  private readonly statements: Record<SearchKind, { count: Statement; page: Statement }>;

  constructor(db: Database) {
    registerRawSourceFunctions(db);
    const conditions: Record<SearchKind, string> = {
      from: `(d.mail_from LIKE @pattern ESCAPE '\\' OR EXISTS (SELECT 1 FROM headers h
        WHERE h.message_id = m.id AND lower(h.name) = 'from' AND h.raw_value LIKE @pattern ESCAPE '\\'))`,
      to: `(EXISTS (SELECT 1 FROM recipients r WHERE r.delivery_id = m.id AND r.status = 'accepted'
          AND r.address LIKE @pattern ESCAPE '\\')
        OR EXISTS (SELECT 1 FROM headers h
          WHERE h.message_id = m.id AND lower(h.name) = 'to' AND h.raw_value LIKE @pattern ESCAPE '\\'))`,
      containing: `CAST(${rawSourceSql('m.id')} AS TEXT) LIKE @pattern ESCAPE '\\'`,
    };
    const source = 'FROM messages m JOIN deliveries d ON d.id = m.id WHERE m.staged = 0 AND';
    const prepare = (condition: string) => ({
      count: db.prepare(`SELECT COUNT(*) AS total ${source} ${condition}`),
      page: db.prepare(`SELECT m.id ${source} ${condition}
        ORDER BY m.received_at DESC, m.rowid DESC LIMIT @limit OFFSET @offset`),
    });
    this.statements = {
      from: prepare(conditions.from),
      to: prepare(conditions.to),
      containing: prepare(conditions.containing),
    };
  }

  /** Returns the number of matches and the ids of one page, newest first. */
  search(
    kind: SearchKind,
    query: string,
    page: { offset: number; limit: number },
  ): { total: number; ids: string[] } {
    const pattern = `%${query.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
    const statements = this.statements[kind];
    const { total } = statements.count.get({ pattern }) as { total: number };
    const rows = statements.page.all({ pattern, ...page }) as Array<{ id: string }>;
    return { total, ids: rows.map((row) => row.id) };
  }
}
