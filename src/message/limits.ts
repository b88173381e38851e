/**
 * Default limits on one message, which the SMTP endpoint enforces while DATA streams in.
 * A message over one of them gets a 552 or 554 reply after the final dot and is not stored.
 */
export const DEFAULT_MESSAGE_LIMITS = {
  /** Maximum size of the header block in bytes, line ends included, the blank line not. */
  maxHeaderSize: 1024 * 1024,
  /** Maximum number of lines in the header block, continuation lines included. */
  maxHeaderLines: 10_000,
  /** Maximum length of one line in bytes, without its line end. */
  maxLineLength: 1024 * 1024,
} as const;

/**
 * Minimum cost of one header line against mailsplit's `maxHeadSize`, in bytes
 * (HEADER_LINE_MIN_COST in lib/mime-node.js of mailsplit 5.4).
 */
const SPLITTER_HEADER_LINE_MIN_COST = 64;

/**
 * Returns the `maxHeadSize` that mailsplit needs so that it never rejects a header block
 * within `maxHeaderSize` bytes and `maxHeaderLines` lines: it counts each line as at
 * least 64 bytes, so 10,000 short lines cost it more than their bytes.
 */
export function splitterHeadSize(
  maxHeaderSize: number = DEFAULT_MESSAGE_LIMITS.maxHeaderSize,
  maxHeaderLines: number = DEFAULT_MESSAGE_LIMITS.maxHeaderLines,
): number {
  return maxHeaderSize + 2 + SPLITTER_HEADER_LINE_MIN_COST * (maxHeaderLines + 1);
}
