/** JSON shapes of Mailpit's API v1 (Mailpit 1.30), which its clients read by these names. */

/** A mailbox as Go's net/mail.Address encodes it; `Name` is "" when the header has none. */
export interface MailpitAddress {
  Name: string;
  Address: string;
}

/** One message in a list, in the websocket `new` event and in the webhook body. */
export interface MailpitMessageSummary {
  ID: string;
  /** The Message-ID header without its angle brackets. */
  MessageID: string;
  Read: boolean;
  From: MailpitAddress;
  To: MailpitAddress[];
  Cc: MailpitAddress[];
  /** Bcc header addresses, then the envelope recipients that no To, Cc or Bcc header names. */
  Bcc: MailpitAddress[];
  ReplyTo: MailpitAddress[];
  Subject: string;
  /** Received time, ISO 8601 in UTC with milliseconds. */
  Created: string;
  /** The user that authenticated the SMTP session, "" when none did. */
  Username: string;
  Tags: string[];
  /** Size of the raw message in bytes. */
  Size: number;
  /** Number of attachment parts. */
  Attachments: number;
  Snippet: string;
}

/** The list and search envelope. Unlike every other shape, its keys are snake case. */
export interface MailpitMessagesSummary {
  total: number;
  unread: number;
  count: number;
  messages_count: number;
  messages_unread: number;
  start: number;
  tags: string[];
  messages: MailpitMessageSummary[];
}

export interface MailpitAttachment {
  PartID: string;
  FileName: string;
  ContentType: string;
  ContentID: string;
  /** Decoded size in bytes. */
  Size: number;
  /** Lower-case hex digests of the decoded content. */
  Checksums: { MD5: string; SHA1: string; SHA256: string };
}

export interface MailpitListUnsubscribe {
  Header: string;
  Links: string[];
  Errors: string;
  HeaderPost: string;
}

/** A whole message, as GET /api/v1/message/{id} returns it. */
export interface MailpitMessage {
  ID: string;
  MessageID: string;
  From: MailpitAddress;
  To: MailpitAddress[];
  Cc: MailpitAddress[];
  Bcc: MailpitAddress[];
  ReplyTo: MailpitAddress[];
  ReturnPath: string;
  Subject: string;
  ListUnsubscribe: MailpitListUnsubscribe;
  /** The Date header with its own offset, or the received time when it has none. */
  Date: string;
  Tags: string[];
  Username: string;
  Text: string;
  HTML: string;
  Size: number;
  Inline: MailpitAttachment[];
  Attachments: MailpitAttachment[];
}

/** A websocket frame: `{Type, Data}`. */
export interface MailpitEvent {
  Type: 'new' | 'update' | 'delete' | 'truncate' | 'prune' | 'stats' | 'error';
  Data: unknown;
}
