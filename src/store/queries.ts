import type { Database, Statement } from 'better-sqlite3';

import { MessageSearch, type SearchOptions, type SearchResult } from '../search/message-search.js';
import { compileSearch } from '../search/search-sql.js';
import { normalizeContentId } from './parse/parts.js';
import { partContentSql } from './part-content.js';
import { RawSourceReader } from './raw-source.js';
import type {
  DeliveryDetail,
  DeliveryFilter,
  DeliveryListItem,
  DeliveryOverview,
  DeliveryOverviewPage,
  HeaderRecord,
  ListOptions,
  MessageDetail,
  MessageListItem,
  PartContent,
  PartRecord,
  StoreCounts,
} from './query-types.js';
import { TagStore } from './tags.js';
import {
  DELIVERY_LIST_COLUMNS,
  DELIVERY_OVERVIEW_COLUMNS,
  MESSAGE_LIST_COLUMNS,
  PART_COLUMNS,
  toDeliveryDetail,
  toDeliveryListItem,
  toDeliveryOverview,
  toHeaderRecord,
  toMessageDetail,
  toMessageListItem,
  toPartRecord,
  toRecipientRecord,
  toTraceEventRecord,
  type DeliveryDetailRow,
  type DeliveryListRow,
  type DeliveryOverviewRow,
  type HeaderRow,
  type MessageDetailRow,
  type MessageListRow,
  type PartRow,
  type RecipientRow,
  type TranscriptRow,
} from './row-mapping.js';

const DEFAULT_LIMIT = 100;

/** Maximum number of prepared filter statements kept by `filterStatement`. */
const MAX_FILTER_STATEMENTS = 256;

/** The tables a delivery overview reads: each delivery with its visible message, if any. */
const DELIVERY_SOURCE = `
  FROM deliveries d LEFT JOIN messages m ON m.id = d.id AND m.staged = 0`;

/**
 * The read and user-action queries of the store, for the HTTP API and the tests. Only
 * visible messages (staged = 0) are returned, so a staged message reads as not found.
 * Deleting removes whole deliveries and never touches one that is still in progress.
 *
 * Every method runs one short statement or transaction, so that it can use its own
 * connection next to the writing one.
 */
export class StoreQueries {
  private readonly statements: ReturnType<typeof prepareStatements>;
  /** Statements built from a filter, kept by their SQL text, at most MAX_FILTER_STATEMENTS. */
  private readonly filterStatements = new Map<string, Statement>();
  private readonly messageSearch: MessageSearch;
  private readonly tags: TagStore;
  private readonly rawSource: RawSourceReader;

  constructor(private readonly db: Database) {
    this.statements = prepareStatements(db);
    this.rawSource = new RawSourceReader(db);
    this.messageSearch = new MessageSearch(db);
    this.tags = new TagStore(db);
  }

  /**
   * Searches the visible messages with the search language (see src/search/query-parser.ts),
   * newest received first. An empty query matches every message. `total` and `unread`
   * count every match, and `ids` is the page at `offset` (50 ids by default).
   */
  searchMessages(query: string, options?: SearchOptions): SearchResult {
    return this.messageSearch.search(query, options);
  }

  /** Returns true when the visible message `id` matches the search query. */
  messageMatches(
    id: string,
    query: string,
    options?: Pick<SearchOptions, 'timeZone' | 'receivedSince'>,
  ): boolean {
    return this.messageSearch.matches(id, query, options);
  }

  /**
   * Deletes the whole delivery of every visible message that matches the query, except
   * deliveries still in progress. Returns the number deleted.
   */
  deleteMessagesMatching(query: string, options?: Pick<SearchOptions, 'timeZone'>): number {
    return this.messageSearch.deleteMatching(query, options);
  }

  /** Lists every tag that at least one visible message has, sorted by name. */
  listTags(): string[] {
    return this.tags.list();
  }

  /** Lists every tag with its number of visible messages, sorted by name. */
  countTags(): Array<{ name: string; messages: number }> {
    return this.tags.counts();
  }

  /** Lists the tags of a visible message, sorted; none for an unknown id. */
  getTags(messageId: string): string[] {
    return this.tags.get(messageId);
  }

  /** Replaces the tags of the listed messages; an empty list clears them. Names are cleaned. */
  setTags(ids: readonly string[], tags: readonly string[]): void {
    this.tags.set(ids, tags);
  }

  addTags(ids: readonly string[], tags: readonly string[]): void {
    this.tags.add(ids, tags);
  }

  removeTags(ids: readonly string[], tags: readonly string[]): void {
    this.tags.remove(ids, tags);
  }

  /**
   * Renames a tag on every message. Returns false when no message has it, and throws
   * TagNameError when the new name is invalid or taken by another tag.
   */
  renameTag(from: string, to: string): boolean {
    return this.tags.rename(from, to);
  }

  /** Removes a tag from every message. Returns false when no message has it. */
  deleteTag(name: string): boolean {
    return this.tags.delete(name);
  }

  /** Lists deliveries in every state, newest first. */
  listDeliveries(options: ListOptions = {}): DeliveryListItem[] {
    const rows = this.statements.listDeliveries.all(...page(options)) as DeliveryListRow[];
    return rows.map(toDeliveryListItem);
  }

  /**
   * Lists one page of the deliveries that match `filter`, newest first, with the number
   * of every matching delivery. The page and the count share one WHERE clause, so the
   * count never includes a delivery that no page lists.
   */
  listDeliveryOverviews(filter: DeliveryFilter = {}): DeliveryOverviewPage {
    const where = deliveryConditions(filter);
    const limit = Math.max(0, Math.trunc(filter.limit ?? DEFAULT_LIMIT));
    const keyset = filter.beforeSeq === undefined ? '' : ' AND d.seq < @beforeSeq';
    const pageParams = { ...where.params, limit: limit + 1 };
    if (filter.beforeSeq !== undefined) Object.assign(pageParams, { beforeSeq: filter.beforeSeq });

    // The page's deliveries are chosen first and their columns computed after, because
    // the recipient and tag subqueries would otherwise run for every match before the sort.
    const rows = this.filterStatement(
      `
      SELECT ${DELIVERY_OVERVIEW_COLUMNS} ${DELIVERY_SOURCE}
      WHERE d.seq IN (
        SELECT d.seq ${DELIVERY_SOURCE}
        WHERE ${where.sql}${keyset} ORDER BY d.seq DESC LIMIT @limit)
      ORDER BY d.seq DESC`,
    ).all(pageParams) as DeliveryOverviewRow[];
    // The LEFT JOIN matches at most one message per delivery, so a filter on delivery
    // columns only counts the same rows without it, and without reading every message row.
    const countSource = /\bm\./.test(where.sql) ? DELIVERY_SOURCE : 'FROM deliveries d';
    const count = this.filterStatement(
      `SELECT COUNT(*) AS total ${countSource} WHERE ${where.sql}`,
    ).get(where.params) as { total: number };

    return {
      items: rows.slice(0, limit).map(toDeliveryOverview),
      hasMore: rows.length > limit,
      total: count.total,
    };
  }

  /** Returns one delivery as the delivery list shows it, or null. */
  getDeliveryOverview(id: string): DeliveryOverview | null {
    const row = this.statements.getDeliveryOverview.get(id) as DeliveryOverviewRow | undefined;
    return row ? toDeliveryOverview(row) : null;
  }

  /** Returns a delivery with its recipients, trace and session transcript, or null. */
  getDelivery(id: string): DeliveryDetail | null {
    const row = this.statements.getDelivery.get(id) as DeliveryDetailRow | undefined;
    if (!row) return null;
    const recipients = this.statements.recipients.all(id) as RecipientRow[];
    const events = this.statements.events.all(id) as Parameters<typeof toTraceEventRecord>[0][];
    const transcript =
      row.session_id === null
        ? []
        : (this.statements.transcript.all(row.session_id) as TranscriptRow[]);
    return toDeliveryDetail(row, {
      recipients: recipients.map(toRecipientRecord),
      events: events.map(toTraceEventRecord),
      transcript,
    });
  }

  /** Lists visible messages, newest received first. */
  listMessages(options: ListOptions = {}): MessageListItem[] {
    const rows = this.statements.listMessages.all(...page(options)) as MessageListRow[];
    return rows.map(toMessageListItem);
  }

  /** Returns a visible message with its text and HTML, or null. */
  getMessage(id: string): MessageDetail | null {
    const row = this.statements.getMessage.get(id) as MessageDetailRow | undefined;
    return row ? { ...toMessageDetail(row), tags: this.tags.get(id) } : null;
  }

  /** Returns the subject of a visible message, or null when there is no such message. */
  getMessageSubject(id: string): string | null {
    const row = this.statements.getMessageSubject.get(id) as { subject: string } | undefined;
    return row ? row.subject : null;
  }

  /** Returns the message bytes exactly as received, or null. */
  getRaw(id: string): Buffer | null {
    return this.rawSource.read(id);
  }

  /** Lists every header field of a visible message in order, or none for an unknown id. */
  listHeaders(id: string): HeaderRecord[] {
    return (this.statements.listHeaders.all(id) as HeaderRow[]).map(toHeaderRecord);
  }

  /** Lists the MIME parts of a visible message in tree order, without their content. */
  listParts(id: string): PartRecord[] {
    return (this.statements.listParts.all(id) as PartRow[]).map(toPartRecord);
  }

  /** Returns one part with its decoded content, or null. */
  getPart(id: string, partId: string): PartContent | null {
    const row = this.statements.getPart.get(id, partId) as
      (PartRow & { content: Buffer | null }) | undefined;
    if (!row) return null;
    return { ...toPartRecord(row), content: row.content ?? Buffer.alloc(0) };
  }

  /**
   * Finds the part that a `cid:` reference points to. The match ignores case and the angle
   * brackets around the Content-ID, as the kind decision at parse time does.
   */
  findPartByContentId(id: string, contentId: string): PartRecord | null {
    const normalized = normalizeContentId(contentId);
    const match = this.listParts(id).find(
      (part) => part.contentId !== null && normalizeContentId(part.contentId) === normalized,
    );
    return match ?? null;
  }

  /** Deletes a visible message with its whole delivery. Returns false when none was found. */
  deleteMessage(id: string): boolean {
    return this.statements.deleteDelivery.run(id).changes === 1;
  }

  /**
   * Deletes a finished delivery with its message, if any, and its trace. Returns
   * 'deleted', 'not-found', or 'in-progress' for a delivery whose transaction is still
   * open, which stays so that its commit still works.
   */
  deleteDelivery(id: string): 'deleted' | 'not-found' | 'in-progress' {
    return this.db.transaction(() => {
      const row = this.statements.deliveryState.get(id) as { state: string } | undefined;
      if (row === undefined) return 'not-found';
      if (row.state === 'in-progress') return 'in-progress';
      this.statements.deleteFinishedDelivery.run(id);
      return 'deleted';
    })();
  }

  /**
   * Deletes every finished delivery with its message and trace, and every closed session
   * left without deliveries. Deliveries in progress stay, so that their commit still
   * works. Returns the number of deliveries deleted.
   */
  deleteAll(): number {
    return this.db.transaction(() => {
      const deleted = this.statements.deleteAll.run().changes;
      this.statements.deleteIdleSessions.run();
      return deleted;
    })();
  }

  /** Sets the read flag of a visible message. Returns false when none was found. */
  setRead(id: string, read: boolean): boolean {
    return this.statements.setRead.run(read ? 1 : 0, id).changes === 1;
  }

  counts(): StoreCounts {
    return this.statements.counts.get() as StoreCounts;
  }

  private filterStatement(sql: string): Statement {
    let statement = this.filterStatements.get(sql);
    if (statement === undefined) {
      // A search query adds its own shape of SQL, so the cache is bounded.
      if (this.filterStatements.size >= MAX_FILTER_STATEMENTS) this.filterStatements.clear();
      statement = this.db.prepare(sql);
      this.filterStatements.set(sql, statement);
    }
    return statement;
  }
}

/** Builds the WHERE clause of `filter` without its keyset position, with named parameters. */
function deliveryConditions(filter: DeliveryFilter): {
  sql: string;
  params: Record<string, string | number>;
} {
  const conditions = ['1 = 1'];
  const params: Record<string, string | number> = {};

  const states = [...new Set(filter.states ?? [])];
  if (states.length > 0) {
    const names = states.map((_state, index) => `@state${index}`);
    states.forEach((state, index) => (params[`state${index}`] = state));
    conditions.push(`d.state IN (${names.join(', ')})`);
  }

  if (filter.abortedByRule !== undefined) {
    conditions.push("d.abort_kind = 'rule'");
    if (filter.abortedByRule !== '*') {
      // The rule's id is kept in the trace, with the abort reason.
      params.abortRule = filter.abortedByRule;
      conditions.push(`EXISTS (SELECT 1 FROM delivery_events e WHERE e.delivery_id = d.id
        AND e.type = 'delivery.aborted' AND json_extract(e.data, '$.reason.rule.id') = @abortRule)`);
    }
  }

  const text = filter.text ?? '';
  if (text.trim() !== '') {
    const search = compileSearch(text, 'deliveries', { timeZone: filter.timeZone });
    conditions.push(`(${search.sql})`);
    Object.assign(params, search.params);
  }
  return { sql: conditions.join(' AND '), params };
}

function page(options: ListOptions): [number, number] {
  const limit = Math.max(0, Math.trunc(options.limit ?? DEFAULT_LIMIT));
  const offset = Math.max(0, Math.trunc(options.offset ?? 0));
  return [limit, offset];
}

function prepareStatements(db: Database) {
  const visible = 'FROM messages WHERE staged = 0';
  return {
    listDeliveries: db.prepare(`
      SELECT ${DELIVERY_LIST_COLUMNS}
      FROM deliveries d LEFT JOIN messages m ON m.id = d.id AND m.staged = 0
      ORDER BY d.seq DESC LIMIT ? OFFSET ?`),
    getDeliveryOverview: db.prepare(
      `SELECT ${DELIVERY_OVERVIEW_COLUMNS} ${DELIVERY_SOURCE} WHERE d.id = ?`,
    ),
    getDelivery: db.prepare(`
      SELECT ${DELIVERY_LIST_COLUMNS}, d.*
      FROM deliveries d LEFT JOIN messages m ON m.id = d.id AND m.staged = 0
      WHERE d.id = ?`),
    recipients: db.prepare('SELECT * FROM recipients WHERE delivery_id = ? ORDER BY position'),
    events: db.prepare(
      'SELECT seq, at, type, data FROM delivery_events WHERE delivery_id = ? ORDER BY seq',
    ),
    transcript: db.prepare(
      'SELECT seq, at, direction, text FROM session_lines WHERE session_id = ? ORDER BY seq',
    ),
    listMessages: db.prepare(`
      SELECT ${MESSAGE_LIST_COLUMNS} ${visible}
      ORDER BY received_at DESC, rowid DESC LIMIT ? OFFSET ?`),
    getMessage: db.prepare(`SELECT * ${visible} AND id = ?`),
    getMessageSubject: db.prepare(`SELECT subject ${visible} AND id = ?`),
    listHeaders: db.prepare(`
      SELECT h.position, h.name, h.value, h.raw_value
      FROM headers h JOIN messages m ON m.id = h.message_id AND m.staged = 0
      WHERE h.message_id = ? ORDER BY h.position`),
    listParts: db.prepare(`
      SELECT ${PART_COLUMNS}
      FROM parts WHERE message_id = (SELECT id ${visible} AND id = ?)
      ORDER BY position`),
    getPart: db.prepare(`
      SELECT ${PART_COLUMNS}, ${partContentSql()} AS content
      FROM parts WHERE message_id = (SELECT id ${visible} AND id = ?) AND part_id = ?`),
    deleteDelivery: db.prepare(`
      DELETE FROM deliveries WHERE id = ? AND state != 'in-progress'
        AND EXISTS (SELECT 1 ${visible} AND messages.id = deliveries.id)`),
    deliveryState: db.prepare('SELECT state FROM deliveries WHERE id = ?'),
    deleteFinishedDelivery: db.prepare(
      "DELETE FROM deliveries WHERE id = ? AND state != 'in-progress'",
    ),
    deleteAll: db.prepare("DELETE FROM deliveries WHERE state != 'in-progress'"),
    deleteIdleSessions: db.prepare(`
      DELETE FROM sessions WHERE closed_at IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM deliveries WHERE deliveries.session_id = sessions.id)`),
    setRead: db.prepare('UPDATE messages SET read = ? WHERE id = ? AND staged = 0'),
    counts: db.prepare(`
      SELECT
        (SELECT COUNT(*) ${visible}) AS messages,
        (SELECT COUNT(*) ${visible} AND read = 0) AS unread,
        (SELECT COUNT(*) FROM deliveries) AS deliveries,
        (SELECT COUNT(*) FROM deliveries WHERE state = 'in-progress') AS inProgress`),
  };
}
