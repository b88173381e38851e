import type { EmailAddress } from 'mailparser';

import { addressForLookup } from '../../address/index.js';
import { loadMailparser } from '../../message/mail-libraries.js';
import type { AddressEntry, HeaderRecord, MessageDetail, Store } from '../../store/index.js';
import { deliveryEnvelope } from './rows.js';
import type { MailpitAddress, MailpitMessageSummary } from './types.js';

/** Mailpit's snippet length in characters, before the `...` that marks a cut. */
const SNIPPET_LENGTH = 200;

/**
 * Builds Mailpit's MessageSummary of the visible message `id`, or returns null when there
 * is no such message. The stored raw source is never changed: Bcc is computed from the
 * Bcc header and the envelope recipients at read time.
 */
export function buildMessageSummary(store: Store, id: string): MailpitMessageSummary | null {
  const message = store.queries.getMessage(id);
  if (message === null) return null;
  return toMessageSummary(store, message, store.queries.listHeaders(id));
}

export function toMessageSummary(
  store: Store,
  message: MessageDetail,
  headers: readonly HeaderRecord[],
): MailpitMessageSummary {
  return {
    ID: message.id,
    MessageID: messageIdOf(message),
    Read: message.read,
    From: fromAddressOf(message),
    To: message.to.map(toMailpitAddress),
    Cc: message.cc.map(toMailpitAddress),
    Bcc: bccAddresses(message, headers),
    ReplyTo: message.replyTo.map(toMailpitAddress),
    Subject: message.subject,
    Created: new Date(message.receivedAt).toISOString(),
    Username: deliveryEnvelope(store.db, message.id).user,
    Tags: [...message.tags],
    Size: message.size,
    Attachments: message.attachmentCount,
    Snippet: mailpitSnippet(message.snippet),
  };
}

export function toMailpitAddress(entry: AddressEntry): MailpitAddress {
  return { Name: entry.name, Address: entry.address };
}

/** The first From mailbox; Mailpit always returns an object, with empty strings for none. */
export function fromAddressOf(message: MessageDetail): MailpitAddress {
  const first = message.from[0];
  return first === undefined ? { Name: '', Address: '' } : toMailpitAddress(first);
}

/**
 * Returns the Message-ID header without angle brackets. For a message without one, Mailpit
 * adds `<ID@mailpit>` to the source it stores and returns `ID@mailpit`. Mailscope returns
 * the same value but keeps the stored source as received.
 * NOTE: the search prefix `message-id:` does not match this generated value.
 */
export function messageIdOf(message: MessageDetail): string {
  const messageId = (message.messageId ?? '').trim().replace(/^<(.*)>$/, '$1');
  return messageId === '' ? `${message.id}@mailpit` : messageId;
}

/**
 * Lists the Bcc header's mailboxes, then each envelope recipient that no To, Cc or Bcc
 * header names. Mailpit writes those recipients into a Bcc header when it stores a
 * message; Mailscope keeps the raw source as received and adds them here instead.
 */
export function bccAddresses(
  message: MessageDetail,
  headers: readonly HeaderRecord[],
): MailpitAddress[] {
  const bccValues = headers
    .filter((header) => header.name.toLowerCase() === 'bcc')
    .map((header) => header.rawValue);
  const bcc =
    bccValues.length === 0 ? [] : mailboxesOf(loadMailparser().parseAddressHeader(bccValues).value);

  const named = new Set(
    [...message.to, ...message.cc, ...bcc].map((entry) => addressForLookup(entry.address)),
  );
  const result = bcc.map(toMailpitAddress);
  for (const recipient of message.envelopeRecipients) {
    const key = addressForLookup(recipient);
    if (named.has(key)) continue;
    named.add(key);
    result.push({ Name: '', Address: recipient });
  }
  return result;
}

function mailboxesOf(addresses: EmailAddress[]): AddressEntry[] {
  const entries: AddressEntry[] = [];
  for (const entry of addresses) {
    if (entry.group) entries.push(...mailboxesOf(entry.group));
    else if (entry.address) entries.push({ name: entry.name, address: entry.address });
  }
  return entries;
}

/** Cuts Mailscope's longer snippet to Mailpit's length and marks the cut with `...`. */
function mailpitSnippet(snippet: string): string {
  const characters = Array.from(snippet);
  if (characters.length <= SNIPPET_LENGTH) return snippet;
  return `${characters.slice(0, SNIPPET_LENGTH).join('').trimEnd()}...`;
}
