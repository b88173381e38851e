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

/**
 * SQL that returns the PartContentSource whose bytes equal the bound `@content`, or null.
 * It reads the staged message `@id`, and `@column` is 'text' or 'html'. The comparison is
 * byte for byte, so a part is only ever replaced by a column that returns its exact content.
 */
export const FIND_CONTENT_SOURCE_SQL = `
  SELECT CASE
    WHEN @column = 'text' AND ${columnBytes('text', false)} = @content THEN 'text'
    WHEN @column = 'text' AND ${columnBytes('text', true)} = @content THEN 'text-crlf'
    WHEN @column = 'html' AND ${columnBytes('html', false)} = @content THEN 'html'
    WHEN @column = 'html' AND ${columnBytes('html', true)} = @content THEN 'html-crlf'
  END AS source
  FROM messages WHERE id = @id AND staged = 1`;

/** Returns the message column that a body part of `contentType` may be a copy of. */
export function contentSourceColumn(contentType: string): 'text' | 'html' | null {
  if (contentType === 'text/plain') return 'text';
  if (contentType === 'text/html') return 'html';
  return null;
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
