/**
 * Message column that the content of a body part is a copy of, so that the part stores no
 * content of its own. `text` is `messages.text` as UTF-8 and `html` is `messages.html`.
 * The `-crlf` forms have every LF as CRLF, because mailparser turns the CRLF line breaks
 * of the decoded part into LF.
 */
export type PartContentSource = 'text' | 'text-crlf' | 'html' | 'html-crlf';

/** SQL of a column's value as a UTF-8 BLOB, with every LF as CRLF when `crlf` is set. */
function columnBytes(column: string, crlf: boolean): string {
  const text = crlf ? `replace(${column}, char(10), char(13, 10))` : column;
  return `CAST(${text} AS BLOB)`;
}

/** The message's text and HTML, which a body part's content may be a copy of. */
export interface MessageBodies {
  text: string | null;
  html: string | null;
}

/**
 * Returns the PartContentSource whose bytes equal `content`, the decoded content of a body
 * part of `contentType`, or null. The comparison is byte for byte against the UTF-8 form
 * that SQLite stores for the column, so a part is only ever replaced by a column that
 * returns its exact content.
 */
export function findContentSource(
  content: Buffer,
  contentType: string,
  bodies: MessageBodies,
): PartContentSource | null {
  const column = contentSourceColumn(contentType);
  if (column === null) return null;
  const value = bodies[column];
  if (value === null) return null;
  if (utf8Equals(value, content, false)) return column;
  if (utf8Equals(value, content, true)) return column === 'text' ? 'text-crlf' : 'html-crlf';
  return null;
}

/** Returns the message column that a body part of `contentType` may be a copy of. */
function contentSourceColumn(contentType: string): 'text' | 'html' | null {
  if (contentType === 'text/plain') return 'text';
  if (contentType === 'text/html') return 'html';
  return null;
}

/** UTF-16 code units of a text encoded at a time by utf8Equals. */
const COMPARE_PIECE_CHARS = 64 * 1024;

/**
 * Returns true when the UTF-8 form of `text`, with every LF as CRLF when `crlf` is set,
 * equals `bytes`. It encodes one piece at a time, so a large text is never copied whole.
 */
function utf8Equals(text: string, bytes: Buffer, crlf: boolean): boolean {
  if (!crlf && Buffer.byteLength(text, 'utf8') !== bytes.length) return false;
  let offset = 0;
  for (let start = 0; start < text.length;) {
    let end = Math.min(start + COMPARE_PIECE_CHARS, text.length);
    // A piece must not end between the two halves of a surrogate pair, which Buffer.from
    // would each encode as U+FFFD.
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    const piece = text.slice(start, end);
    const encoded = Buffer.from(crlf ? piece.replaceAll('\n', '\r\n') : piece, 'utf8');
    if (!encoded.equals(bytes.subarray(offset, offset + encoded.length))) return false;
    offset += encoded.length;
    start = end;
  }
  return offset === bytes.length;
}

/**
 * Returns an SQL expression for the content of a row of `parts`, read from the part or
 * from the message column that `content_source` names. It reads the message row through a subquery, so the query needs no join and its
 * column names stay unambiguous.
 */
export function partContentSql(): string {
  const fromMessage = (column: string, crlf: boolean): string =>
    `(SELECT ${columnBytes(column, crlf)} FROM messages WHERE messages.id = parts.message_id)`;
  return `CASE parts.content_source
    WHEN 'text' THEN ${fromMessage('text', false)}
    WHEN 'text-crlf' THEN ${fromMessage('text', true)}
    WHEN 'html' THEN ${fromMessage('html', false)}
    WHEN 'html-crlf' THEN ${fromMessage('html', true)}
    ELSE parts.content
  END`;
}
