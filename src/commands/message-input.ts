import type { EmailAddress } from 'mailparser';

import { parseHeader, type HeaderField } from '../message/header.js';
import { loadMailparser } from '../message/mail-libraries.js';

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;

/**
 * Largest header block read before the message is sent on. A longer block is an error,
 * because the header must be in memory to find the recipients and remove Bcc.
 */
export const MAX_HEADER_BYTES = 1024 * 1024;

/** A message whose header block could not be read. */
export class MessageInputError extends Error {
  override name = 'MessageInputError';
}

/**
 * Yields the chunks of `source` up to a line that contains only a dot, which sendmail
 * reads as the end of the message unless -i is given. The dot line is dropped and the
 * rest of the input is not read, as with sendmail.
 */
export async function* untilLoneDot(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let carry: Buffer = Buffer.alloc(0);
  let atLineStart = true;

  for await (const chunk of source) {
    const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    carry = Buffer.alloc(0);
    let lineStart = atLineStart ? 0 : nextLineStart(data, 0);
    let cut = data.length;

    while (lineStart !== -1 && lineStart < data.length) {
      if (data[lineStart] === DOT) {
        const end = loneDotEnd(data, lineStart);
        if (end === 'end') {
          if (lineStart > 0) yield data.subarray(0, lineStart);
          return;
        }
        if (end === 'more') {
          // Too few bytes to tell whether the line is a lone dot: keep them for the next chunk.
          cut = lineStart;
          carry = Buffer.from(data.subarray(lineStart));
          break;
        }
      }
      lineStart = nextLineStart(data, lineStart);
    }

    if (cut > 0) yield data.subarray(0, cut);
    atLineStart = carry.length > 0 || data[data.length - 1] === LF;
  }
  // A "." or ".\r" left at the end of the input is a last lone dot line without its LF.
}

function nextLineStart(data: Buffer, from: number): number {
  const newline = data.indexOf(LF, from);
  return newline === -1 ? -1 : newline + 1;
}

function loneDotEnd(data: Buffer, dot: number): 'end' | 'more' | 'no' {
  const next = data[dot + 1];
  if (next === undefined) return 'more';
  if (next === LF) return 'end';
  if (next !== CR) return 'no';
  const after = data[dot + 2];
  if (after === undefined) return 'more';
  return after === LF ? 'end' : 'no';
}

/** The header block read from standard input, and the input that follows it. */
export interface SplitMessage {
  /** Raw bytes of the header block including the empty line that ends it, if any. */
  headerBytes: Buffer;
  fields: HeaderField[];
  /** Body bytes already read with the header. */
  bodyStart: Buffer;
  /** The rest of the input after `bodyStart`. */
  rest: AsyncIterator<Buffer>;
}

/**
 * Reads the header block from the start of `source`: until the empty line that ends it,
 * a line that is not a header field, or the end of the input. Throws MessageInputError
 * when the block is longer than MAX_HEADER_BYTES.
 */
export async function splitHeader(source: AsyncIterable<Buffer>): Promise<SplitMessage> {
  const iterator = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  for (;;) {
    const prefix = Buffer.concat(chunks, length);
    const header = parseHeader(prefix);
    // parseHeader stops at an empty line or at a line that is no field. Either ends the
    // block once that line is complete, because a partial line may still grow into a field,
    // and a CR at the end of the input may be the first half of the empty line's CRLF.
    const lineComplete = prefix.indexOf(LF, header.bodyOffset) !== -1;
    const complete =
      (header.endedByBlankLine && prefix[header.bodyOffset - 1] === LF) ||
      (!header.endedByBlankLine && header.bodyOffset < length && lineComplete);
    if (complete || ended) {
      return {
        headerBytes: prefix.subarray(0, header.bodyOffset),
        fields: header.fields,
        bodyStart: prefix.subarray(header.bodyOffset),
        rest: iterator,
      };
    }
    if (length > MAX_HEADER_BYTES) {
      throw new MessageInputError(
        `The message header is longer than ${MAX_HEADER_BYTES} bytes without an empty line ` +
          'after it.',
      );
    }
    const next = await iterator.next();
    if (next.done) {
      ended = true;
    } else {
      chunks.push(next.value);
      length += next.value.length;
    }
  }
}

/**
 * Returns the header block without the fields named in `remove` (case-insensitive), with
 * their continuation lines, and with `prepend` lines added at the top.
 */
export function rewriteHeader(headerBytes: Buffer, remove: string[], prepend: string[]): Buffer {
  const removed = new Set(remove.map((name) => name.toLowerCase()));
  const output: Buffer[] = prepend.map((line) => Buffer.from(`${line}\r\n`));
  let dropping = false;
  let offset = 0;
  while (offset < headerBytes.length) {
    const newline = headerBytes.indexOf(LF, offset);
    const end = newline === -1 ? headerBytes.length : newline + 1;
    const line = headerBytes.subarray(offset, end);
    const first = line[0];
    if (offset === 0 && line.subarray(0, 5).toString('latin1') === 'From ') {
      // An mbox From_ line is no header field; sendmail drops it too.
      offset = end;
      continue;
    }
    if (first !== 0x20 && first !== 0x09) {
      const colon = line.indexOf(0x3a);
      const name = colon === -1 ? '' : line.subarray(0, colon).toString('latin1').trim();
      dropping = removed.has(name.toLowerCase());
    }
    if (!dropping) output.push(line);
    offset = end;
  }
  return Buffer.concat(output);
}

/**
 * Returns the recipients that sendmail -t takes from the header: the mailboxes of To, Cc
 * and Bcc, with group members in place of their group. When the message has any Resent-
 * field (RFC 5322 section 3.6.6), they come from Resent-To, Resent-Cc and Resent-Bcc.
 * An entry that mailparser finds no address in, such as `To: root` or `To: not an
 * address`, is returned as its text, so that the caller can check it as a mailbox.
 */
export function headerRecipients(fields: HeaderField[]): string[] {
  const resent = fields.some((field) => field.name.toLowerCase().startsWith('resent-'));
  const names = resent ? ['resent-to', 'resent-cc', 'resent-bcc'] : ['to', 'cc', 'bcc'];
  const values = fields
    .filter((field) => names.includes(field.name.toLowerCase()))
    .map((field) => field.value);
  if (values.length === 0) return [];
  const addresses: string[] = [];
  collectMailboxes(loadMailparser().parseAddressHeader(values).value, addresses);
  return addresses;
}

function collectMailboxes(entries: EmailAddress[], into: string[]): void {
  for (const entry of entries) {
    if (entry.group) collectMailboxes(entry.group, into);
    else if (entry.address) into.push(entry.address);
    else if (entry.name) into.push(entry.name);
  }
}

/** Tells whether the header has a field with this name (case-insensitive). */
export function hasField(fields: HeaderField[], name: string): boolean {
  const lower = name.toLowerCase();
  return fields.some((field) => field.name.toLowerCase() === lower);
}
