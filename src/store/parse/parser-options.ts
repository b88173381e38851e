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
  /** Maximum size of the header block of one MIME part, in bytes (mailsplit's own default). */
  maxHeadSize: 1024 * 1024,
  /** Maximum number of MIME parts in one message (mailsplit's own default). */
  maxChildNodes: 1000,
} as const;

/**
 * HTML bodies longer than this many characters are not converted to plain text, so that
 * one message cannot hold the event loop for long: html-to-text runs synchronously and
 * its time grows with the document. Such a message keeps its HTML, its text stays empty
 * and a warning gives the reason.
 *
 * NOTE: the value is a judgment, not a measured bound.
 */
export const MAX_HTML_TO_TEXT_LENGTH = 5 * 1024 * 1024;
