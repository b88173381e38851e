import { PassThrough } from 'node:stream';

import type { BodyBuffer } from '../../delivery/body-buffer.js';
import type { MessageHeader } from '../../message/header.js';
import { charsetWarnings } from './charsets.js';
import {
  decodeHeaderFields,
  decodeWords,
  makeSnippet,
  summarizeHeader,
  type AddressEntry,
  type StoredHeader,
} from './header-summary.js';
import { messageSource, type OpenMessage } from './message-source.js';
import { readMimeTree, type MimeTreeNode } from './mime-tree.js';
import { MimeLimitError } from './parser-options.js';
import { decodeInBodyCharset } from './raw-header-text.js';
import { classifyParts, structureWarnings, type StoredPart } from './parts.js';
import { readTextContent, type TextContent } from './text-content.js';

/** Everything the store keeps about a message besides its raw bytes. */
export interface ParsedMessage {
  messageId: string | null;
  subject: string;
  from: AddressEntry[];
  to: AddressEntry[];
  cc: AddressEntry[];
  replyTo: AddressEntry[];
  /** Date header, or the received time when the header is missing or invalid. */
  date: number;
  dateIsReceivedAt: boolean;
  snippet: string;
  text: string | null;
  html: string | null;
  headers: StoredHeader[];
  parts: StoredPart[];
  /** Problems found while reading the message, for people to read. */
  warnings: string[];
}

/**
 * Parses a message for storage. It rejects only with a MimeLimitError, for a message with
 * too many MIME parts or too deep a nesting, which the store does not accept. When
 * mailparser or the MIME splitter fails otherwise, the summary still comes from the header
 * block, and when anything else fails the result contains the header fields only. Each
 * failure is listed in `warnings`, and the caller stores the raw message as received.
 *
 * The message is read from `body` once, as a stream, with an empty line inserted where
 * the header block ended without one (see `messageSource`), so it splits where the
 * header reader split. The MIME tree pass splits it and forwards it, without the
 * attachment content, to mailparser for the text. Only the decoded parts and the text
 * are held in memory, never the whole message.
 */
export async function parseMessage(
  body: BodyBuffer,
  header: MessageHeader,
  receivedAt: number,
): Promise<ParsedMessage> {
  try {
    return await parseWithFallbacks(messageSource(body, header), header, receivedAt);
  } catch (error) {
    if (error instanceof MimeLimitError) {
      throw error;
    }
    return headerFieldsOnly(header, receivedAt, error);
  }
}

async function parseWithFallbacks(
  source: OpenMessage,
  header: MessageHeader,
  receivedAt: number,
): Promise<ParsedMessage> {
  const warnings = [...header.warnings];
  const summary = summarizeHeader(header);
  if (summary.dateInvalid) {
    warnings.push('The Date header could not be read, so the received time is shown instead.');
  }

  const textCopy = new PassThrough();
  const [textResult, treeResult] = await Promise.allSettled([
    readTextContent(() => textCopy),
    readMimeTree(source, textCopy),
  ]);

  let content: TextContent = { text: null, html: null, conversionError: null, subject: null };
  if (textResult.status === 'fulfilled') {
    content = textResult.value;
  } else {
    warnings.push(`The message text could not be parsed: ${messageOf(textResult.reason)}`);
  }
  if (content.conversionError !== null) {
    warnings.push(`The HTML body was not converted to text: ${content.conversionError}`);
  }

  let tree: MimeTreeNode[] = [];
  if (treeResult.status === 'fulfilled') {
    tree = treeResult.value;
  } else if (treeResult.reason instanceof MimeLimitError) {
    throw treeResult.reason;
  } else {
    warnings.push(
      'The MIME structure could not be parsed, so no parts were stored: ' +
        messageOf(treeResult.reason),
    );
  }
  const parts = classifyParts(tree, content.html);
  warnings.push(...structureWarnings(parts), ...charsetWarnings(header, parts));

  return {
    messageId: summary.messageId,
    subject: chooseSubject(content.subject, summary.subject, header, parts),
    from: summary.from,
    to: summary.to,
    cc: summary.cc,
    replyTo: summary.replyTo,
    date: summary.date ?? receivedAt,
    dateIsReceivedAt: summary.date === null,
    snippet: makeSnippet(content.text),
    text: content.text,
    html: content.html,
    headers: decodeHeaderFields(header),
    parts,
    warnings,
  };
}

/**
 * Prefers mailparser's subject for its whitespace handling (see TextContent.subject), but
 * not when it contains replacement characters: mailparser reads 8-bit header bytes as
 * UTF-8 only. Such raw bytes are then read in the charset of the first text part, or
 * else as the header reader's windows-1252.
 */
function chooseSubject(
  fromMailparser: string | null,
  fromHeader: string,
  header: MessageHeader,
  parts: StoredPart[],
): string {
  if (fromMailparser !== null && !fromMailparser.includes('\ufffd')) {
    return fromMailparser;
  }
  const raw = header.fields.find((field) => field.name.toLowerCase() === 'subject')?.value;
  const inBodyCharset = raw === undefined ? null : decodeInBodyCharset(raw, parts);
  return inBodyCharset === null ? fromHeader : decodeWords(inBodyCharset);
}

function headerFieldsOnly(
  header: MessageHeader,
  receivedAt: number,
  error: unknown,
): ParsedMessage {
  return {
    messageId: null,
    subject: '',
    from: [],
    to: [],
    cc: [],
    replyTo: [],
    date: receivedAt,
    dateIsReceivedAt: true,
    snippet: '',
    text: null,
    html: null,
    headers: header.fields.map((field, index) => ({
      position: index + 1,
      name: field.name,
      value: field.value,
      rawValue: field.value,
    })),
    parts: [],
    warnings: [
      ...header.warnings,
      `The message could not be parsed, so only its raw source is shown: ${messageOf(error)}`,
    ],
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
