import type { EmailAddress } from 'mailparser';

import { cleanAddress } from '../../address/index.js';
import type { MessageHeader } from '../../message/header.js';
import { loadLibmime, loadMailparser } from '../../message/mail-libraries.js';

/** One mailbox from an address header: the display name and the cleaned address. */
export interface AddressEntry {
  name: string;
  address: string;
}

/** One header field as stored: its place in the block, its name and both value forms. */
export interface StoredHeader {
  position: number;
  name: string;
  /** Value with RFC 2047 encoded-words decoded. */
  value: string;
  /** Value as received: unfolded, encoded-words still encoded. */
  rawValue: string;
}

/** The fields a message list shows, read from the header block. */
export interface HeaderSummary {
  messageId: string | null;
  subject: string;
  from: AddressEntry[];
  to: AddressEntry[];
  cc: AddressEntry[];
  replyTo: AddressEntry[];
  /** Date header in milliseconds since the epoch, or null when missing or invalid. */
  date: number | null;
  /** True when a Date header was present but could not be read. */
  dateInvalid: boolean;
}

/**
 * Decodes RFC 2047 encoded-words, and returns the value unchanged if decoding throws.
 * libmime 5 joins adjacent encoded-words of the same charset and encoding at byte level
 * before it decodes them, so a UTF-8 character split across two words decodes whole.
 */
export function decodeWords(value: string): string {
  try {
    return loadLibmime().decodeWords(value);
  } catch {
    return value;
  }
}

/** Returns every header field in order, with its decoded and its raw value. */
export function decodeHeaderFields(header: MessageHeader): StoredHeader[] {
  return header.fields.map((field, index) => ({
    position: index + 1,
    name: field.name,
    value: decodeWords(field.value),
    rawValue: field.value,
  }));
}

/**
 * Reads the summary fields from the header block as the header reader split it. Only the
 * first Subject, Date and Message-ID count. The addresses of repeated To, Cc, From and
 * Reply-To fields are joined in order.
 */
export function summarizeHeader(header: MessageHeader): HeaderSummary {
  const first = (name: string): string | undefined => fieldValues(header, name)[0];
  const dateValue = first('date');
  const date = dateValue === undefined ? null : parseDate(dateValue);

  return {
    messageId: first('message-id')?.trim() || null,
    subject: decodeWords(first('subject') ?? ''),
    from: addressesOf(header, 'from'),
    to: addressesOf(header, 'to'),
    cc: addressesOf(header, 'cc'),
    replyTo: addressesOf(header, 'reply-to'),
    date,
    dateInvalid: dateValue !== undefined && date === null,
  };
}

function fieldValues(header: MessageHeader, name: string): string[] {
  return header.fields
    .filter((field) => field.name.toLowerCase() === name)
    .map((field) => field.value);
}

function addressesOf(header: MessageHeader, name: string): AddressEntry[] {
  const values = fieldValues(header, name);
  if (values.length === 0) {
    return [];
  }
  const entries: AddressEntry[] = [];
  collectMailboxes(loadMailparser().parseAddressHeader(values).value, entries);
  return entries;
}

// Group members are listed in place of the group, because a group's name is not a mailbox.
function collectMailboxes(addresses: EmailAddress[], into: AddressEntry[]): void {
  for (const entry of addresses) {
    if (entry.group) {
      collectMailboxes(entry.group, into);
    } else if (entry.address) {
      into.push({ name: entry.name, address: cleanAddress(entry.address) });
    }
  }
}

/**
 * Parses an RFC 5322 date with the JavaScript date parser, which also reads the obsolete
 * forms (two-digit years, zone names, comments) that real mail carries.
 */
function parseDate(value: string): number | null {
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : time;
}

/** Maximum snippet length, in characters. */
export const SNIPPET_LENGTH = 250;

/** Returns the first characters of `text` with every run of whitespace made one space. */
export function makeSnippet(text: string | null): string {
  if (!text) {
    return '';
  }
  // Only the start matters, so a huge body is not collapsed as a whole.
  const head = text.slice(0, SNIPPET_LENGTH * 8);
  const collapsed = head.replace(/\s+/g, ' ').trim();
  return Array.from(collapsed).slice(0, SNIPPET_LENGTH).join('');
}
