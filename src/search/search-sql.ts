import type { Database } from 'better-sqlite3';

import { parseSearchDate } from './dates.js';
import {
  cleanSearchText,
  parseQuery,
  type SearchCondition,
  type SearchTerm,
  type TextField,
} from './query-parser.js';
import {
  SEARCH_SOURCE_NAMES,
  searchRowContains,
  searchSourceSql,
  type SearchColumn,
  type SearchSource,
} from './search-row.js';

/**
 * The FTS5 table of message search text, keyed by `deliveries.seq` of each message. It is
 * contentless: it returns rowids only, never the text of a column.
 */
export const SEARCH_TABLE = 'message_search';

/** SQL function that prepares a column for comparison with a search value. */
export const CLEAN_SEARCH_FUNCTION = 'mailscope_clean_search';

/**
 * SQL function `(columns, value, ...source)` that returns 1 when one of the search columns
 * (names separated by commas) of a message contains `value`, and 0 otherwise. `source` is
 * the values of `searchSourceSql`.
 */
export const SEARCH_ROW_CONTAINS_FUNCTION = 'mailscope_search_row_contains';

/** Registers the SQL functions that compiled search conditions call, on one connection. */
export function registerSearchFunctions(db: Database): void {
  db.function(CLEAN_SEARCH_FUNCTION, { deterministic: true }, (value: unknown) =>
    typeof value === 'string' ? cleanSearchText(value) : null,
  );
  db.function(
    SEARCH_ROW_CONTAINS_FUNCTION,
    { deterministic: true, varargs: true },
    (columns: unknown, value: unknown, ...values: unknown[]) => {
      const source = Object.fromEntries(
        SEARCH_SOURCE_NAMES.map((name, index) => [name, values[index]]),
      ) as unknown as SearchSource;
      const names = String(columns).split(',') as SearchColumn[];
      return searchRowContains(source, names, String(value)) ? 1 : 0;
    },
  );
}

/**
 * The rows a query filters. `messages` reads `messages m JOIN deliveries d`, visible
 * messages only. `deliveries` reads `deliveries d LEFT JOIN messages m`, where m is null
 * for a delivery without a visible message, so that a message condition is false for it.
 */
export type SearchTarget = 'messages' | 'deliveries';

export interface SearchWhere {
  /** SQL condition; `1 = 1` for an empty query. */
  sql: string;
  params: Record<string, string | number>;
}

export interface CompileOptions {
  /** IANA time zone for dates without a zone in `after:` and `before:`. */
  timeZone?: string;
  /** Prefix of the parameter names, so that the result can join other named parameters. */
  paramPrefix?: string;
}

/** The FTS5 columns that each `field:` term matches, in the order of the migration. */
const FIELD_COLUMNS: Record<Exclude<TextField, 'mail-from' | 'rcpt'>, readonly string[]> = {
  from: ['from_addr'],
  to: ['to_addr'],
  cc: ['cc_addr'],
  bcc: ['bcc_addr'],
  'reply-to': ['reply_to_addr'],
  addressed: ['from_addr', 'to_addr', 'cc_addr', 'bcc_addr', 'reply_to_addr'],
  subject: ['subject'],
  'message-id': ['message_id'],
};

/**
 * The trigram tokenizer finds substrings of three or more characters through the index.
 * A shorter value matches no row in a MATCH, so the search row of every visible message is
 * built again from the message and compared instead, because the table keeps no text.
 * NOTE: that scan costs about 65 µs per visible message, measured as 1.3 s for the 20,000
 * messages of bench/fill-store.ts on 2 shared AMD EPYC cores.
 */
const MIN_INDEXED_LENGTH = 3;

/**
 * Compiles a query in the search language into one SQL condition. The count and every page
 * of a search use this one condition, so the count never includes a row that no page
 * lists. Values reach SQLite only as bound parameters, and a value for an FTS5 MATCH is
 * one quoted string, so no input can change the query or make FTS5 report a syntax error.
 */
export function compileSearch(
  query: string,
  target: SearchTarget,
  options: CompileOptions = {},
): SearchWhere {
  const compiler = new ConditionCompiler(target, options);
  const conditions = parseQuery(query)
    .map((term) => compiler.compileTerm(term))
    .filter((sql): sql is string => sql !== null);
  return {
    sql: conditions.length === 0 ? '1 = 1' : conditions.join(' AND '),
    params: compiler.params,
  };
}

class ConditionCompiler {
  readonly params: Record<string, string | number> = {};
  private count = 0;

  constructor(
    private readonly target: SearchTarget,
    private readonly options: CompileOptions,
  ) {}

  /** Returns the SQL of one term, or null when the term is ignored (an invalid date). */
  compileTerm(term: SearchTerm): string | null {
    const { condition, negated } = term;
    if (condition.kind === 'date') return this.dateCondition(condition, negated);
    if (condition.kind === 'size') return this.sizeCondition(condition, negated);
    const sql = this.positive(condition);
    // A condition on a missing message is null in the delivery list, and counts as false.
    // WHERE already drops a null, and leaving the positive form bare lets SQLite drive the
    // query from an IN list instead of testing every row.
    return negated ? `NOT COALESCE((${sql}), 0)` : `(${sql})`;
  }

  private positive(condition: Exclude<SearchCondition, { kind: 'date' | 'size' }>): string {
    switch (condition.kind) {
      case 'word':
        return this.wordCondition(condition.value);
      case 'field':
        return this.fieldCondition(condition.field, condition.value);
      case 'tag':
        return `EXISTS (SELECT 1 FROM message_tags mt JOIN tags t ON t.id = mt.tag_id
          WHERE mt.message_id = m.id AND t.name = ${this.bind(condition.name)})`;
      case 'tagged':
        return 'EXISTS (SELECT 1 FROM message_tags mt WHERE mt.message_id = m.id)';
      case 'read':
        return condition.read ? 'm.read = 1' : 'm.read = 0';
      case 'attachment':
        return 'm.attachment_count > 0';
      case 'inline':
        return "EXISTS (SELECT 1 FROM parts p WHERE p.message_id = m.id AND p.kind = 'inline')";
      case 'outcome':
        return this.target === 'deliveries'
          ? `d.state = ${this.bind(condition.outcome)}`
          : condition.outcome === 'committed'
            ? '1'
            : '0';
    }
  }

  /**
   * Matches a free word against the search text of the message. In the delivery list it
   * also matches the envelope, for deliveries without a message and so without search text.
   */
  private wordCondition(value: string): string {
    if (this.target === 'messages') return this.ftsCondition(['search_text'], value);
    // The search text of a committed delivery already contains its envelope, so only the
    // other states, found through their index, need the envelope compared row by row.
    // One IN list keeps the query driven by the matches instead of a scan of every row.
    // NOTE: so a free word finds a committed delivery by an accepted recipient only, while
    // `rcpt:` also finds it by a rejected one.
    const parameter = this.bind(value);
    return `d.seq IN (${this.ftsRowids(['search_text'], value)}
      UNION ALL SELECT e.seq FROM deliveries e
      WHERE e.state IN ('in-progress', 'aborted', 'interrupted')
        AND (${this.envelopeSender(parameter, 'e')} OR ${this.envelopeRecipient(parameter, 'e')}))`;
  }

  private fieldCondition(field: TextField, value: string): string {
    if (field === 'mail-from') return this.envelopeSender(this.bind(value));
    if (field === 'rcpt') return this.envelopeRecipient(this.bind(value));
    return this.ftsCondition(FIELD_COLUMNS[field], value);
  }

  private ftsCondition(columns: readonly string[], value: string): string {
    return `d.seq IN (${this.ftsRowids(columns, value)})`;
  }

  /** Selects the rowids whose `columns` contain `value`, through the trigram index where it can. */
  private ftsRowids(columns: readonly string[], value: string): string {
    if ([...value].length >= MIN_INDEXED_LENGTH) {
      const phrase = `"${value.replaceAll('"', '""')}"`;
      const match = `{${columns.join(' ')}} : ${phrase}`;
      return `SELECT rowid FROM ${SEARCH_TABLE} WHERE ${SEARCH_TABLE} MATCH ${this.bind(match)}`;
    }
    // The bodies and file names are only part of search_text, so a field term skips them.
    const onlyFreeText = new Set<string>(['text', 'html', 'file_names']);
    const withText = columns.includes('search_text');
    const source = searchSourceSql('sm', 'sd')
      .map((sql, index) =>
        withText || !onlyFreeText.has(SEARCH_SOURCE_NAMES[index] ?? '') ? sql : 'NULL',
      )
      .join(', ');
    return `SELECT sd.seq FROM messages sm JOIN deliveries sd ON sd.id = sm.id
      WHERE sm.staged = 0 AND ${SEARCH_ROW_CONTAINS_FUNCTION}(
        ${this.bind(columns.join(','))}, ${this.bind(value)}, ${source})`;
  }

  private envelopeSender(parameter: string, delivery = 'd'): string {
    return `instr(${CLEAN_SEARCH_FUNCTION}(${delivery}.mail_from), ${parameter}) > 0`;
  }

  /** Any RCPT TO of the delivery, rejected ones included. */
  private envelopeRecipient(parameter: string, delivery = 'd'): string {
    return `EXISTS (SELECT 1 FROM recipients r WHERE r.delivery_id = ${delivery}.id
      AND instr(${CLEAN_SEARCH_FUNCTION}(r.address), ${parameter}) > 0)`;
  }

  /**
   * `after:` is "received at or after", `before:` "at or before". Negated, each keeps the
   * boundary instant, as in Mailpit (`-after:X` is "at or before X"). A date that cannot
   * be read leaves the term out.
   */
  private dateCondition(
    condition: Extract<SearchCondition, { kind: 'date' }>,
    negated: boolean,
  ): string | null {
    const epoch = parseSearchDate(condition.date, this.options.timeZone);
    if (epoch === null) return null;
    const upper = (condition.bound === 'before') !== negated;
    return `COALESCE(${this.receivedAt()} ${upper ? '<=' : '>='} ${this.bind(epoch)}, 0)`;
  }

  /** `larger:` is "size above", `smaller:` "size below", and negated the other strictly. */
  private sizeCondition(
    condition: Extract<SearchCondition, { kind: 'size' }>,
    negated: boolean,
  ): string {
    const larger = (condition.bound === 'larger') !== negated;
    return `COALESCE(${this.size()} ${larger ? '>' : '<'} ${this.bind(condition.bytes)}, 0)`;
  }

  private receivedAt(): string {
    return this.target === 'deliveries' ? 'COALESCE(m.received_at, d.started_at)' : 'm.received_at';
  }

  private size(): string {
    return this.target === 'deliveries' ? 'COALESCE(m.size, d.size)' : 'm.size';
  }

  private bind(value: string | number): string {
    const name = `${this.options.paramPrefix ?? 'search'}${this.count++}`;
    this.params[name] = value;
    return `@${name}`;
  }
}
