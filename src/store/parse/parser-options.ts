import { splitterHeadSize } from '../../message/limits.js';

/**
 * Options shared by both passes over a message (the MIME tree and the text), so that they
 * see the same structure.
 *
 * `ignoreEmbedded` keeps every message/rfc822 part a leaf. Without it, mailparser 3 parses
 * an inline embedded message into the outer text and HTML, which mixes the inner headers
 * and body into the outer message. As a leaf, the embedded message becomes an attachment
 * with its bytes intact.
 */
export const SPLITTER_OPTIONS = {
  ignoreEmbedded: true,
  /**
   * Maximum cost of the header block of one MIME part. It is set so that the splitter
   * accepts every top-level header block that the SMTP endpoint accepts: mailsplit counts
   * each line as at least 64 bytes, so 1 MiB would reject a block of many short lines.
   */
  maxHeadSize: splitterHeadSize(),
  /**
   * Safety net of the splitter itself, above MAX_MIME_PARTS, so that the MIME tree pass
   * reports the limit with its own error first.
   */
  maxChildNodes: 1001,
} as const;

/**
 * Maximum number of MIME parts in one message, multipart containers included (the default
 * of mailsplit, the splitter that mailparser uses). A message with more is rejected at the
 * end of DATA, because every part costs a row and a pass through the parsers.
 */
export const MAX_MIME_PARTS = 1000;

/**
 * Maximum nesting depth of multipart containers: the top-level part is at depth 1, its
 * children at depth 2, and so on. A message nested deeper is rejected at the end of DATA,
 * because the splitter compares every line with the boundary of each open container, so
 * its time grows with the depth. Postfix rejects deeper nesting than 100 by default too
 * (its `mime_nesting_limit`).
 */
export const MAX_MIME_DEPTH = 100;

/** A message exceeds MAX_MIME_PARTS or MAX_MIME_DEPTH, so the store rejects it. */
export class MimeLimitError extends Error {
  override name = 'MimeLimitError';
}

/**
 * HTML bodies longer than this many characters are not converted to plain text, so that
 * one message cannot hold the event loop for long: html-to-text runs synchronously and
 * its time grows with the document. Such a message keeps its HTML, its text stays empty
 * and a warning gives the reason.
 *
 * NOTE: the value is a judgment, not a measured bound.
 */
export const MAX_HTML_TO_TEXT_LENGTH = 5 * 1024 * 1024;
