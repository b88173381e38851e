import { createHash } from 'node:crypto';

import type { HeaderRecord, MessageDetail, PartRecord, Store } from '../../store/index.js';
import { normalizeContentId } from '../../store/parse/parts.js';
import { deliveryEnvelope } from './rows.js';
import { bccAddresses, fromAddressOf, messageIdOf, toMailpitAddress } from './summary.js';
import type { MailpitAttachment, MailpitListUnsubscribe, MailpitMessage } from './types.js';

/** Builds Mailpit's Message of the visible message `id`, or returns null. */
export function buildMessage(store: Store, id: string): MailpitMessage | null {
  const message = store.queries.getMessage(id);
  if (message === null) return null;
  const headers = store.queries.listHeaders(id);
  const parts = store.queries.listParts(id);
  const envelope = deliveryEnvelope(store.db, id);
  const from = fromAddressOf(message);

  return {
    ID: message.id,
    MessageID: messageIdOf(message),
    From: from,
    To: message.to.map(toMailpitAddress),
    Cc: message.cc.map(toMailpitAddress),
    Bcc: bccAddresses(message, headers),
    ReplyTo: message.replyTo.map(toMailpitAddress),
    ReturnPath: returnPathOf(headers, envelope.mailFrom, from.Address),
    Subject: message.subject,
    ListUnsubscribe: listUnsubscribeOf(headers),
    Date: dateOf(message, headers),
    Tags: [...message.tags],
    Username: envelope.user,
    Text: message.text ?? '',
    HTML: message.html ?? '',
    Size: message.size,
    Inline: attachmentsOf(store, id, parts, 'inline'),
    Attachments: attachmentsOf(store, id, parts, 'attachment'),
  };
}

/**
 * Returns the header fields of a raw message as Mailpit's headers route does: each name in
 * Go's canonical form, mapped to its values in order, with the names sorted. Values are
 * read as Go's textproto reads them: a folded value becomes one line, its parts joined by
 * one space, and RFC 2047 encoded-words stay encoded.
 */
export function headerMap(raw: Buffer): Record<string, string[]> {
  const map = new Map<string, string[]>();
  for (const { name, value } of readHeaderFields(raw)) {
    const key = canonicalHeaderName(name);
    const values = map.get(key) ?? [];
    values.push(value);
    map.set(key, values);
  }
  const names = [...map.keys()].sort();
  return Object.fromEntries(names.map((name) => [name, map.get(name) as string[]]));
}

function readHeaderFields(raw: Buffer): Array<{ name: string; value: string }> {
  const end = raw.indexOf('\r\n\r\n');
  const endLf = raw.indexOf('\n\n');
  const cut = [end, endLf].filter((index) => index >= 0);
  const block = raw.subarray(0, cut.length === 0 ? raw.length : Math.min(...cut)).toString('utf8');
  const fields: Array<{ name: string; value: string }> = [];
  for (const line of block.split(/\r?\n/)) {
    const last = fields.at(-1);
    if (/^[ \t]/.test(line)) {
      if (last !== undefined) last.value = `${last.value.trimEnd()} ${line.trim()}`.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  return fields;
}

/**
 * Returns a header name in the form of Go's textproto.CanonicalMIMEHeaderKey: the first
 * letter and each letter after a hyphen upper case, the others lower case. A name with a
 * character that is not a token character is returned unchanged, as Go does.
 */
export function canonicalHeaderName(name: string): string {
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) return name;
  return name
    .toLowerCase()
    .replace(
      /(^|-)([a-z])/g,
      (_match, dash: string, letter: string) => dash + letter.toUpperCase(),
    );
}

function firstHeader(headers: readonly HeaderRecord[], name: string): HeaderRecord | undefined {
  return headers.find((header) => header.name.toLowerCase() === name);
}

/** Returns the Return-Path header without angle brackets, else the envelope sender, else From. */
function returnPathOf(headers: readonly HeaderRecord[], mailFrom: string, from: string): string {
  const header = firstHeader(headers, 'return-path');
  if (header !== undefined) return header.rawValue.trim().replace(/^<(.*)>$/, '$1');
  return mailFrom !== '' ? mailFrom : from;
}

function listUnsubscribeOf(headers: readonly HeaderRecord[]): MailpitListUnsubscribe {
  const header = firstHeader(headers, 'list-unsubscribe')?.rawValue ?? '';
  const links = [...header.matchAll(/<([^>]*)>/g)].map((match) => (match[1] ?? '').trim());
  const invalid = links.filter((link) => !/^(https?:|mailto:)/i.test(link));
  return {
    Header: header,
    Links: links,
    Errors: invalid.length === 0 ? '' : `Invalid link: ${invalid.join(', ')}`,
    HeaderPost: firstHeader(headers, 'list-unsubscribe-post')?.rawValue ?? '',
  };
}

/**
 * Returns the Date header as an RFC 3339 time in the header's own offset, or the received
 * time in UTC when the message has no valid Date.
 */
function dateOf(message: MessageDetail, headers: readonly HeaderRecord[]): string {
  if (message.dateIsReceivedAt) return new Date(message.receivedAt).toISOString();
  const header = firstHeader(headers, 'date')?.rawValue ?? '';
  return formatWithOffset(message.date, zoneOffsetMinutes(header));
}

const ZONE_NAMES: Record<string, number> = {
  UT: 0,
  UTC: 0,
  GMT: 0,
  Z: 0,
  EST: -300,
  EDT: -240,
  CST: -360,
  CDT: -300,
  MST: -420,
  MDT: -360,
  PST: -480,
  PDT: -420,
};

/** Reads the zone of an RFC 5322 date: `+hhmm`, `-hhmm` or an obsolete zone name. */
function zoneOffsetMinutes(value: string): number {
  const withoutComment = value.replace(/\([^)]*\)\s*$/, '').trim();
  const numeric = /([+-])(\d{2})(\d{2})$/.exec(withoutComment);
  if (numeric) {
    const minutes = Number(numeric[2]) * 60 + Number(numeric[3]);
    return numeric[1] === '-' ? -minutes : minutes;
  }
  const name = /([A-Za-z]+)$/.exec(withoutComment)?.[1]?.toUpperCase() ?? 'UTC';
  return ZONE_NAMES[name] ?? 0;
}

function formatWithOffset(time: number, offsetMinutes: number): string {
  const local = new Date(time + offsetMinutes * 60_000).toISOString();
  const milliseconds = local.slice(19, 23) === '.000' ? '' : local.slice(19, 23);
  if (offsetMinutes === 0) return `${local.slice(0, 19)}${milliseconds}Z`;
  const sign = offsetMinutes < 0 ? '-' : '+';
  const absolute = Math.abs(offsetMinutes);
  const hours = String(Math.floor(absolute / 60)).padStart(2, '0');
  const minutes = String(absolute % 60).padStart(2, '0');
  return `${local.slice(0, 19)}${milliseconds}${sign}${hours}:${minutes}`;
}

function attachmentsOf(
  store: Store,
  id: string,
  parts: readonly PartRecord[],
  kind: 'inline' | 'attachment',
): MailpitAttachment[] {
  return parts
    .filter((part) => part.kind === kind)
    .map((part) => {
      const content = store.queries.getPart(id, part.partId)?.content ?? Buffer.alloc(0);
      const contentId = part.contentId === null ? '' : contentIdOf(part.contentId);
      return {
        PartID: part.partId,
        FileName: part.filename ?? (contentId || (part.downloadName ?? '')),
        ContentType: part.contentType,
        ContentID: contentId,
        Size: content.length,
        Checksums: {
          MD5: createHash('md5').update(content).digest('hex'),
          SHA1: createHash('sha1').update(content).digest('hex'),
          SHA256: createHash('sha256').update(content).digest('hex'),
        },
      };
    });
}

/** Returns the Content-ID without its angle brackets, in the sender's case. */
function contentIdOf(contentId: string): string {
  const trimmed = contentId.trim();
  return trimmed.startsWith('<') && trimmed.endsWith('>') ? trimmed.slice(1, -1).trim() : trimmed;
}

/** Returns the part whose Content-ID a `cid:` reference names, if any. */
export function partIdForContentId(
  parts: readonly PartRecord[],
  reference: string,
): string | undefined {
  const key = normalizeContentId(reference);
  return parts.find((part) => part.contentId !== null && normalizeContentId(part.contentId) === key)
    ?.partId;
}
