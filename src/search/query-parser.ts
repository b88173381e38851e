/**
 * The search language of Mailscope, which is Mailpit's (version 1.2x) with three envelope
 * fields added. A query is a list of terms separated by spaces, and every term must match.
 * Double quotes group a phrase and are removed, so `subject:"monthly report"` is one term.
 * A leading `-` or `!` negates a term. Prefixes ignore case, and a term whose prefix is
 * unknown or whose value is invalid is searched as a plain word, as Mailpit does.
 */

/** The fields that `field:value` terms match by substring. */
export type TextField =
  | 'from'
  | 'to'
  | 'cc'
  | 'bcc'
  | 'reply-to'
  | 'addressed'
  | 'subject'
  | 'message-id'
  | 'mail-from'
  | 'rcpt';

export type DeliveryOutcome = 'committed' | 'aborted' | 'interrupted' | 'in-progress';

/** One term of a query, before negation. */
export type SearchCondition =
  /** A word or phrase in the decoded text of the message. */
  | { kind: 'word'; value: string }
  | { kind: 'field'; field: TextField; value: string }
  | { kind: 'tag'; name: string }
  | { kind: 'read'; read: boolean }
  | { kind: 'tagged' }
  | { kind: 'attachment' }
  | { kind: 'inline' }
  /** `after:` (received at or after `date`) or `before:` (at or before). */
  | { kind: 'date'; bound: 'after' | 'before'; date: string }
  /** `larger:` (size above `bytes`) or `smaller:` (below). */
  | { kind: 'size'; bound: 'larger' | 'smaller'; bytes: number }
  | { kind: 'outcome'; outcome: DeliveryOutcome };

export interface SearchTerm {
  negated: boolean;
  condition: SearchCondition;
}

const TEXT_FIELDS: readonly TextField[] = [
  'from',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'addressed',
  'subject',
  'message-id',
  'mail-from',
  'rcpt',
];

const OUTCOMES: readonly DeliveryOutcome[] = ['committed', 'aborted', 'interrupted', 'in-progress'];

/**
 * Splits a query into its terms, as Mailpit's argument parser does: spaces separate terms
 * outside double quotes, and the quotes themselves are dropped.
 */
export function splitQuery(query: string): string[] {
  const words: string[] = [];
  let current = '';
  let quoted = false;
  const flush = (): void => {
    const word = current.replaceAll('"', '').trim();
    if (word !== '') words.push(word);
    current = '';
  };
  for (const character of query) {
    if (character === '"') {
      quoted = !quoted;
      current += character;
    } else if (!quoted && character === ' ') {
      flush();
    } else {
      current += character;
    }
  }
  flush();
  return words;
}

/**
 * Prepares text for a substring comparison, as Mailpit prepares its search text and most
 * values: the characters `< > " , ; ( )`, tabs, line breaks and U+FEFF become spaces,
 * runs of whitespace become one space, and the result is in lower case (after NFC).
 */
export function cleanSearchText(text: string): string {
  return text
    .normalize('NFC')
    .replace(SEARCH_SEPARATORS, ' ')
    .split(/\s+/)
    .filter((word) => word !== '')
    .join(' ')
    .toLowerCase();
}

/** Characters that cleanSearchText turns into spaces. */
const SEARCH_SEPARATORS = /[\uFEFF\r\n\t<>",;()]/g;

/**
 * Returns true when `cleanSearchText(text)` contains `value`, a value without whitespace as
 * cleanSearchText returns it. It skips the split into words, which only changes runs of
 * whitespace, so it costs a fraction of cleaning `text`.
 */
export function cleanTextContains(text: string, value: string): boolean {
  return text.normalize('NFC').replace(SEARCH_SEPARATORS, ' ').toLowerCase().includes(value);
}

/** Prepares a subject for comparison: NFC, lower case and runs of whitespace as one space. */
export function foldSubject(text: string): string {
  return text.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
}

/** Parses a query into terms. An empty query has no terms and matches everything. */
export function parseQuery(query: string): SearchTerm[] {
  const terms: SearchTerm[] = [];
  for (const word of splitQuery(query)) {
    const term = parseTerm(word);
    if (term !== null) terms.push(term);
  }
  return terms;
}

function parseTerm(word: string): SearchTerm | null {
  if (cleanSearchText(word) === '') return null;

  let negated = false;
  let text = word;
  if (text.length > 1 && (text.startsWith('-') || text.startsWith('!'))) {
    negated = true;
    text = text.slice(1);
  }
  // Mailpit skips a term without any ASCII letter or digit, such as `-` or `"..."`.
  if (!/[a-zA-Z0-9]/.test(text)) return null;

  const condition = parseCondition(text);
  return condition === null ? null : { negated, condition };
}

function parseCondition(text: string): SearchCondition | null {
  const lower = text.toLowerCase();
  const colon = lower.indexOf(':');
  const prefix = colon > 0 ? lower.slice(0, colon) : '';
  const rawValue = colon > 0 ? text.slice(colon + 1) : '';

  if ((TEXT_FIELDS as readonly string[]).includes(prefix)) {
    const field = prefix as TextField;
    // Mailpit compares the subject without cleaning it, but without regard to case.
    const value = field === 'subject' ? foldSubject(rawValue) : cleanSearchText(rawValue);
    return value === '' ? null : { kind: 'field', field, value };
  }

  switch (lower) {
    case 'is:read':
      return { kind: 'read', read: true };
    case 'is:unread':
      return { kind: 'read', read: false };
    case 'is:tagged':
      return { kind: 'tagged' };
    case 'has:attachment':
    case 'has:attachments':
      return { kind: 'attachment' };
    case 'has:inline':
    case 'has:inlines':
      return { kind: 'inline' };
  }

  if (prefix === 'tag') {
    const name = cleanSearchText(rawValue);
    return name === '' ? null : { kind: 'tag', name };
  }
  if (prefix === 'after' || prefix === 'before') {
    const date = cleanSearchText(rawValue);
    return date === '' ? null : { kind: 'date', bound: prefix, date };
  }
  if (prefix === 'larger' || prefix === 'smaller') {
    const bytes = parseSize(cleanSearchText(rawValue));
    if (bytes > 0) return { kind: 'size', bound: prefix, bytes };
  }
  if (prefix === 'outcome') {
    const outcome = OUTCOMES.find((name) => name === lower.slice(colon + 1));
    if (outcome !== undefined) return { kind: 'outcome', outcome };
  }

  return { kind: 'word', value: cleanSearchText(text) };
}

/**
 * Reads a size such as `250`, `10k`, `10kb` or `1.5mb` (1024-based) in bytes, or returns
 * 0 when the text is no size, as Mailpit's sizeToBytes does.
 */
export function parseSize(text: string): number {
  const match = /^(\d+)(\.\d+)?\s?([a-z]{1,2})?$/.exec(text.toLowerCase());
  if (match === null) return 0;
  const value = Number.parseFloat(`${match[1]}${match[2] ?? ''}`);
  const unit = match[3] ?? '';
  if (unit === '') return Math.trunc(value);
  if (unit === 'k' || unit === 'kb') return Math.trunc(value * 1024);
  if (unit === 'm' || unit === 'mb') return Math.trunc(value * 1024 * 1024);
  return 0;
}
