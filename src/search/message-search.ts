import type { Database, Statement } from 'better-sqlite3';

import { compileSearch, registerSearchFunctions } from './search-sql.js';

export interface SearchOptions {
  /** Number of matches skipped from the newest, 0 by default. */
  offset?: number;
  /** Maximum number of ids returned, 50 by default (Mailpit's default page). */
  limit?: number;
  /** IANA time zone for dates without a zone in `after:` and `before:`. */
  timeZone?: string;
  /** Only messages received at or after this time, in milliseconds since the epoch. */
  receivedSince?: number;
}

export interface SearchResult {
  /** Visible messages that match, on all pages. */
  total: number;
  /** Unread messages among `total`. */
  unread: number;
  /** Ids of this page, newest received first. */
  ids: string[];
}

const DEFAULT_SEARCH_LIMIT = 50;

/**
 * Maximum number of prepared search statements kept. Values are bound as parameters, so
 * a statement is reused by every query with the same kinds of terms in the same order.
 */
const MAX_CACHED_STATEMENTS = 256;

/** The visible messages a search reads, each with its delivery for the envelope fields. */
const MESSAGE_SOURCE = 'FROM messages m JOIN deliveries d ON d.id = m.id';

/**
 * Runs searches over the visible messages. The count and the page are two statements
 * built from one compiled condition, so `total` never counts a message that no page lists.
 */
export class MessageSearch {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: Database) {
    registerSearchFunctions(db);
  }

  search(query: string, options: SearchOptions = {}): SearchResult {
    const where = compileSearch(query, 'messages', { timeZone: options.timeZone });
    const condition = `m.staged = 0 AND ${where.sql}${receivedSinceSql(options)}`;
    const limit = Math.max(0, Math.trunc(options.limit ?? DEFAULT_SEARCH_LIMIT));
    const offset = Math.max(0, Math.trunc(options.offset ?? 0));

    return this.db.transaction(() => {
      const counts = this.statement(
        `SELECT COUNT(*) AS total, COALESCE(SUM(m.read = 0), 0) AS unread
        ${MESSAGE_SOURCE} WHERE ${condition}`,
      ).get({ ...where.params, ...receivedSinceParams(options) }) as {
        total: number;
        unread: number;
      };
      const rows = this.statement(
        `SELECT m.id ${MESSAGE_SOURCE} WHERE ${condition}
        ORDER BY m.received_at DESC, m.rowid DESC LIMIT @pageLimit OFFSET @pageOffset`,
      ).all({
        ...where.params,
        ...receivedSinceParams(options),
        pageLimit: limit,
        pageOffset: offset,
      }) as Array<{ id: string }>;
      return { total: counts.total, unread: counts.unread, ids: rows.map((row) => row.id) };
    })();
  }

  /**
   * Deletes the whole delivery of every visible message that matches, and never a delivery
   * still in progress. Returns the number of deliveries deleted.
   */
  deleteMatching(query: string, options: Pick<SearchOptions, 'timeZone'> = {}): number {
    const where = compileSearch(query, 'messages', { timeZone: options.timeZone });
    return this.statement(
      `DELETE FROM deliveries WHERE state != 'in-progress' AND id IN (
        SELECT m.id ${MESSAGE_SOURCE} WHERE m.staged = 0 AND ${where.sql})`,
    ).run(where.params).changes;
  }

  /** Returns true when the visible message `id` matches the query. */
  matches(
    id: string,
    query: string,
    options: Pick<SearchOptions, 'timeZone' | 'receivedSince'> = {},
  ): boolean {
    const where = compileSearch(query, 'messages', { timeZone: options.timeZone });
    const row = this.statement(
      `SELECT 1 AS found ${MESSAGE_SOURCE} WHERE m.id = @messageId AND m.staged = 0
      AND ${where.sql}${receivedSinceSql(options)}`,
    ).get({ ...where.params, ...receivedSinceParams(options), messageId: id });
    return row !== undefined;
  }

  /** Statements built from a query, kept by their SQL text, because queries repeat. */
  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      if (this.statements.size >= MAX_CACHED_STATEMENTS) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

function receivedSinceSql(options: Pick<SearchOptions, 'receivedSince'>): string {
  return options.receivedSince === undefined ? '' : ' AND m.received_at >= @receivedSince';
}

function receivedSinceParams(
  options: Pick<SearchOptions, 'receivedSince'>,
): Record<string, number> {
  return options.receivedSince === undefined ? {} : { receivedSince: options.receivedSince };
}
