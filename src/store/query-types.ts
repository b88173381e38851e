import type { SmtpReply } from '../delivery/types.js';
import type { AddressEntry, StoredHeader } from './parse/header-summary.js';
import type { StoredPart } from './parse/parts.js';

export type { AddressEntry } from './parse/header-summary.js';
export type { PartKind } from './parse/parts.js';

export type DeliveryState = 'in-progress' | 'committed' | 'aborted' | 'interrupted';

/** A delivery as the delivery list shows it. */
export interface DeliveryListItem {
  id: string;
  /** Insertion order: a larger number started later. */
  seq: number;
  sessionId: string | null;
  state: DeliveryState;
  startedAt: number;
  endedAt: number | null;
  mailFrom: string;
  /** Number of recipients accepted. */
  recipientCount: number;
  /** Subject of the visible message, or null when the delivery has none. */
  subject: string | null;
  /** Message size in bytes, once the body was received. */
  size: number | null;
  abortKind: string | null;
  abortDetail: string | null;
  hasMessage: boolean;
}

/** A delivery list row with a preview of its recipients and the state of its message. */
export interface DeliveryOverview extends DeliveryListItem {
  /** The first accepted envelope recipients, at most DELIVERY_PREVIEW_RECIPIENTS of them. */
  recipientsPreview: string[];
  hasAttachments: boolean;
  /** Read flag of the message; null when the delivery has no visible message. */
  read: boolean | null;
  /** Tags of the message, sorted; empty when it has none or there is no message. */
  tags: string[];
}

/** The filter of `listDeliveryOverviews`. Every field narrows the list. */
export interface DeliveryFilter {
  /** Only deliveries in one of these states; all states when missing or empty. */
  states?: readonly DeliveryState[];
  /**
   * A query in the search language (see src/search/query-parser.ts), envelope fields
   * included. A free word matches the search text of the message, the MAIL FROM or an
   * envelope recipient, without regard to case.
   */
  text?: string;
  /** IANA time zone for dates without a zone in `after:` and `before:` of `text`. */
  timeZone?: string;
  /** Only deliveries aborted by a failure rule: the rule's id, or `*` for any rule. */
  abortedByRule?: string;
  /** Only deliveries older than this `seq`: the keyset position of the next page. */
  beforeSeq?: number;
  /** Maximum number of rows returned, 100 by default. */
  limit?: number;
}

/** One page of deliveries, newest first. */
export interface DeliveryOverviewPage {
  items: DeliveryOverview[];
  /** True when older deliveries match the filter beyond this page. */
  hasMore: boolean;
  /** Deliveries that match the filter without `beforeSeq` and `limit`, on all pages. */
  total: number;
}

/** One RCPT TO and its outcome. */
export interface RecipientRecord {
  position: number;
  address: string;
  original: string;
  status: 'accepted' | 'rejected' | 'duplicate';
  reply: SmtpReply;
  at: number;
}

/** One step of a delivery's trace. `data` contains the event's own fields. */
export interface TraceEventRecord {
  seq: number;
  at: number;
  type: string;
  data: Record<string, unknown>;
}

export interface TranscriptRecord {
  seq: number;
  at: number;
  direction: 'C' | 'S' | 'I';
  text: string;
}

/** A delivery with its envelope, connection, recipients, trace and SMTP transcript. */
export interface DeliveryDetail extends DeliveryListItem {
  mailFromOriginal: string;
  mailParams: Record<string, string | true>;
  declaredSize: number | null;
  bodyType: string | null;
  smtpUtf8: boolean;
  protocol: string;
  helo: string;
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  tls: { version: string; cipher: string } | null;
  authUser: string | null;
  headerWarnings: string[];
  recipients: RecipientRecord[];
  events: TraceEventRecord[];
  /** Every line of the SMTP session the delivery arrived on. */
  transcript: TranscriptRecord[];
}

/** A visible message as the message list shows it. */
export interface MessageListItem {
  id: string;
  receivedAt: number;
  subject: string;
  from: AddressEntry[];
  to: AddressEntry[];
  date: number;
  /** True when `date` is the received time because the Date header was missing or invalid. */
  dateIsReceivedAt: boolean;
  size: number;
  snippet: string;
  hasAttachments: boolean;
  attachmentCount: number;
  read: boolean;
}

export interface MessageDetail extends MessageListItem {
  messageId: string | null;
  cc: AddressEntry[];
  replyTo: AddressEntry[];
  /** Recipients the message was delivered to, from the envelope. */
  envelopeRecipients: string[];
  warnings: string[];
  text: string | null;
  /** HTML body with `cid:` links as sent. */
  html: string | null;
  /** Tags of the message, sorted by name. */
  tags: string[];
}

/** One header field as the API returns it. */
export type HeaderRecord = StoredHeader;

/** One MIME part without its content, addressed by message id and part id. */
export type PartRecord = Omit<StoredPart, 'content'>;

export interface PartContent extends PartRecord {
  /** Content after transfer decoding, empty for a multipart container. */
  content: Buffer;
}

export interface StoreCounts {
  /** Visible messages. */
  messages: number;
  unread: number;
  deliveries: number;
  inProgress: number;
}

export interface ListOptions {
  /** Maximum number of rows returned, 100 by default. */
  limit?: number;
  /** Number of rows skipped from the newest, 0 by default. */
  offset?: number;
}
