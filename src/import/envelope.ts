import type { EmailAddress } from 'mailparser';

import { NULL_SENDER } from '../address/index.js';
import type { MessageHeader } from '../message/header.js';
import { loadMailparser } from '../message/mail-libraries.js';

/** Recipient of an imported message whose header names no To, Cc or Bcc address. */
export const FALLBACK_RECIPIENT = 'local@localhost';

/** The envelope that an imported message gets in place of the SMTP commands it never had. */
export interface LocalEnvelope {
  /** MAIL FROM address, or the null sender (empty string) when the header names none. */
  mailFrom: string;
  /** Header the MAIL FROM address came from, or null for the null sender. */
  mailFromHeader: 'Return-Path' | 'From' | null;
  /** RCPT TO addresses in header order: To, then Cc, then Bcc. */
  recipients: string[];
  /** True when the header named no recipient and `recipients` is the fallback. */
  usedFallbackRecipient: boolean;
}

/**
 * Derives the envelope of a message that arrives as a file.
 *
 * The sender is the first Return-Path (which the final delivery hop writes from MAIL
 * FROM), else the first From mailbox, else the null sender. The recipients are the
 * mailboxes of every To, Cc and Bcc field, with group members listed in place of their
 * group, or FALLBACK_RECIPIENT when there are none. Duplicates are kept, because the
 * pipeline records them as such.
 */
export function envelopeFromHeader(header: MessageHeader): LocalEnvelope {
  const returnPath = fieldValues(header, 'return-path')[0];
  const fromMailbox = mailboxes(fieldValues(header, 'from'))[0];
  const recipients = mailboxes([
    ...fieldValues(header, 'to'),
    ...fieldValues(header, 'cc'),
    ...fieldValues(header, 'bcc'),
  ]);

  let mailFrom = NULL_SENDER;
  let mailFromHeader: LocalEnvelope['mailFromHeader'] = null;
  if (returnPath !== undefined) {
    mailFrom = returnPathAddress(returnPath);
    mailFromHeader = 'Return-Path';
  } else if (fromMailbox !== undefined) {
    mailFrom = fromMailbox;
    mailFromHeader = 'From';
  }

  const usedFallbackRecipient = recipients.length === 0;
  return {
    mailFrom,
    mailFromHeader,
    recipients: usedFallbackRecipient ? [FALLBACK_RECIPIENT] : recipients,
    usedFallbackRecipient,
  };
}

/**
 * Reads the address of a Return-Path value: `<a@example.test>`, `<>` for the null
 * sender, or a bare address as some programs write it. A comment after the brackets is
 * ignored.
 */
export function returnPathAddress(value: string): string {
  const open = value.indexOf('<');
  const close = value.indexOf('>', open + 1);
  if (open !== -1 && close !== -1) {
    return value.slice(open + 1, close).trim();
  }
  return value.trim().split(/\s+/)[0] ?? NULL_SENDER;
}

function fieldValues(header: MessageHeader, name: string): string[] {
  return header.fields
    .filter((field) => field.name.toLowerCase() === name)
    .map((field) => field.value);
}

function mailboxes(values: string[]): string[] {
  if (values.length === 0) return [];
  const addresses: string[] = [];
  collect(loadMailparser().parseAddressHeader(values).value, addresses);
  return addresses;
}

function collect(entries: EmailAddress[], into: string[]): void {
  for (const entry of entries) {
    if (entry.group) {
      collect(entry.group, into);
    } else if (entry.address) {
      into.push(entry.address);
    }
  }
}
