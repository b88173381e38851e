import type { AddressEntry } from '../store/query-types.js';
import { htmlToSearchText } from './html-text.js';
import { cleanSearchText, cleanTextContains, foldSubject } from './query-parser.js';

/** Source values of the search row of one message, as `searchSourceSql` selects them. */
export interface SearchSource {
  mail_from: string;
  message_id: string | null;
  subject: string;
  /** JSON arrays of AddressEntry. */
  from_addresses: string;
  to_addresses: string;
  cc_addresses: string;
  reply_to_addresses: string;
  /** JSON array of the accepted envelope recipients. */
  envelope_recipients: string;
  /** JSON array of [name, value] of the searched header fields, in order. */
  headers: string;
  /** JSON array of the file names of the parts, in order, or null when not selected. */
  file_names: string | null;
  /** First SEARCH_BODY_CHARS characters of the text body. */
  text: string | null;
  /** First SEARCH_HTML_CHARS characters of the HTML body. */
  html: string | null;
}

/** The columns of the FTS5 search table, in the order of its schema. */
export type SearchColumn =
  | 'search_text'
  | 'subject'
  | 'from_addr'
  | 'to_addr'
  | 'cc_addr'
  | 'bcc_addr'
  | 'reply_to_addr'
  | 'message_id';

export type SearchRow = Record<SearchColumn, string>;

/**
 * Maximum characters of the text body, and of the words of the HTML body, that go into the
 * search row of a message, so that a long body is searched by its start only. The subject,
 * addresses, header fields and file names are never cut. Indexing the trigrams of a whole
 * 20 MiB body took about 1.3 s of CPU and 120 MiB of memory (an estimate from a Postfix
 * smtp-source run on 2 shared AMD EPYC cores).
 */
export const SEARCH_BODY_CHARS = 256 * 1024;

/**
 * Maximum characters of the HTML body read to find its first SEARCH_BODY_CHARS of words.
 * Markup usually takes more room than the words, so it is a multiple of that limit.
 */
const SEARCH_HTML_CHARS = 4 * SEARCH_BODY_CHARS;

/** Names of the SearchSource values, in the order `searchSourceSql` selects them. */
export const SEARCH_SOURCE_NAMES = [
  'mail_from',
  'message_id',
  'subject',
  'from_addresses',
  'to_addresses',
  'cc_addresses',
  'reply_to_addresses',
  'envelope_recipients',
  'headers',
  'file_names',
  'text',
  'html',
] as const satisfies ReadonlyArray<keyof SearchSource>;

/**
 * Returns the SQL expressions of the SearchSource values, in SEARCH_SOURCE_NAMES order,
 * for the message `m` and delivery `d` (table aliases). Only the header fields named `X-*`,
 * Bcc and Return-Path are searched, because the host names and tokens of the others
 * (Received, DKIM-Signature and the like) would match almost every word a tester types.
 * The bodies are cut in SQL, where substr() counts Unicode characters, so a large body
 * never reaches JavaScript whole.
 */
export function searchSourceSql(m: string, d: string): string[] {
  return [
    `${d}.mail_from`,
    `${m}.message_id`,
    `${m}.subject`,
    `${m}.from_addresses`,
    `${m}.to_addresses`,
    `${m}.cc_addresses`,
    `${m}.reply_to_addresses`,
    `${m}.envelope_recipients`,
    `(SELECT json_group_array(json_array(h.name, h.value)) FROM (
      SELECT name, value FROM headers
      WHERE message_id = ${m}.id
        AND (name LIKE 'x-%' OR name LIKE 'bcc' OR name LIKE 'return-path')
      ORDER BY position) AS h)`,
    `(SELECT json_group_array(p.filename) FROM (
      SELECT filename FROM parts
      WHERE message_id = ${m}.id AND filename IS NOT NULL ORDER BY position) AS p)`,
    `substr(${m}.text, 1, ${SEARCH_BODY_CHARS})`,
    `substr(${m}.html, 1, ${SEARCH_HTML_CHARS})`,
  ];
}

/** The values of a message that its search row is made of, parsed once. */
class SearchFields {
  readonly from: AddressEntry[];
  readonly to: AddressEntry[];
  readonly cc: AddressEntry[];
  readonly replyTo: AddressEntry[];
  readonly envelope: string[];
  /** Values of the searched header fields other than Bcc, in order. */
  readonly otherHeaders: string[];
  /** Bcc header values and the blind copies of the envelope, joined by spaces. */
  readonly bcc: string;
  readonly fileNames: string[];

  constructor(readonly source: SearchSource) {
    this.from = parseJson<AddressEntry[]>(source.from_addresses);
    this.to = parseJson<AddressEntry[]>(source.to_addresses);
    this.cc = parseJson<AddressEntry[]>(source.cc_addresses);
    this.replyTo = parseJson<AddressEntry[]>(source.reply_to_addresses);
    this.envelope = parseJson<string[]>(source.envelope_recipients);
    this.fileNames = parseJson<string[]>(source.file_names ?? '[]');

    const headers = parseJson<Array<[string, string]>>(source.headers);
    const isBcc = ([name]: [string, string]): boolean => name.toLowerCase() === 'bcc';
    this.otherHeaders = headers.filter((field) => !isBcc(field)).map(([, value]) => value);
    const inHeaders = new Set([...this.to, ...this.cc].map((entry) => entry.address.toLowerCase()));
    // Envelope recipients that no To or Cc field names are the blind copies.
    const blind = this.envelope.filter((address) => !inHeaders.has(address.toLowerCase()));
    this.bcc = [...headers.filter(isBcc).map(([, value]) => value), ...blind].join(' ');
  }

  /** Returns the pieces of the free-text column other than the HTML body, in order. */
  piecesBeforeHtml(): string[] {
    const { source } = this;
    return [
      addressText(this.from),
      source.subject,
      addressText(this.to),
      addressText(this.cc),
      this.bcc,
      addressText(this.replyTo),
      source.mail_from,
      this.envelope.join(' '),
      ...this.otherHeaders,
      source.text ?? '',
    ];
  }

  /**
   * Returns the first SEARCH_BODY_CHARS characters of the words of the HTML body, which is
   * the costly piece to build.
   */
  htmlPiece(): string {
    if (this.source.html === null) return '';
    return truncateText(htmlToSearchText(this.source.html), SEARCH_BODY_CHARS);
  }

  /** Returns the value of one column of the search row. */
  column(column: SearchColumn): string {
    switch (column) {
      case 'search_text':
        return cleanSearchText(
          [...this.piecesBeforeHtml(), this.htmlPiece(), ...this.fileNames].join(' '),
        );
      case 'subject':
        return foldSubject(this.source.subject);
      case 'from_addr':
        return cleanSearchText(addressText(this.from));
      case 'to_addr':
        return cleanSearchText(addressText(this.to));
      case 'cc_addr':
        return cleanSearchText(addressText(this.cc));
      case 'bcc_addr':
        return cleanSearchText(this.bcc);
      case 'reply_to_addr':
        return cleanSearchText(addressText(this.replyTo));
      case 'message_id':
        return cleanSearchText(this.source.message_id ?? '');
    }
  }
}

const SEARCH_COLUMNS: readonly SearchColumn[] = [
  'search_text',
  'subject',
  'from_addr',
  'to_addr',
  'cc_addr',
  'bcc_addr',
  'reply_to_addr',
  'message_id',
];

/**
 * Builds the column values of the search row of one message. Free words search the
 * decoded text, never the transfer encoding. `search_text` is made of:
 * - the subject with its encoded-words decoded;
 * - the addresses and names of From, To, Cc, Bcc and Reply-To, and Return-Path;
 * - the envelope sender and recipients;
 * - the decoded values of `X-` header fields, such as X-Test-Run or X-Mailer;
 * - the decoded text body and the words of the HTML body, up to SEARCH_BODY_CHARS each;
 * - attachment file names.
 */
export function buildSearchRow(source: SearchSource): SearchRow {
  const fields = new SearchFields(source);
  const row = {} as SearchRow;
  for (const column of SEARCH_COLUMNS) row[column] = fields.column(column);
  return row;
}

/**
 * Returns true when one of `columns` of the search row of `source` contains `value`, a
 * value already prepared as the query parser prepares it. It gives the result of instr()
 * on the column without building the whole row where it can.
 */
export function searchRowContains(
  source: SearchSource,
  columns: readonly SearchColumn[],
  value: string,
): boolean {
  const byPiece = columns.includes('search_text') && !/\s/.test(value);
  // The text body and the subject are the likeliest matches, and need no JSON parsed.
  if (
    byPiece &&
    [source.text ?? '', source.subject].some((piece) => cleanTextContains(piece, value))
  ) {
    return true;
  }
  const fields = new SearchFields(source);
  return columns.some((column) =>
    column === 'search_text' && byPiece
      ? piecesContain(fields, value)
      : fields.column(column).includes(value),
  );
}

/**
 * `search_text` is the cleaned pieces joined by single spaces, and cleaning maps each
 * piece on its own, so a value without a space is in the joined text exactly when it is
 * in one cleaned piece. The HTML body is converted last, only when no other piece matched.
 */
function piecesContain(fields: SearchFields, value: string): boolean {
  const contains = (piece: string): boolean => cleanTextContains(piece, value);
  return (
    fields.piecesBeforeHtml().some(contains) ||
    fields.fileNames.some(contains) ||
    contains(fields.htmlPiece())
  );
}

/** Returns the first `max` UTF-16 code units of `text`, without splitting a surrogate pair. */
function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  const highSurrogate = last >= 0xd800 && last <= 0xdbff;
  return text.slice(0, highSurrogate ? max - 1 : max);
}

function addressText(entries: AddressEntry[]): string {
  return entries.map((entry) => `${entry.name} ${entry.address}`).join(' ');
}

function parseJson<T>(json: string): T {
  return JSON.parse(json) as T;
}
