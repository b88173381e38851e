import type {
  DeliveryDetail,
  DeliveryListItem,
  DeliveryOverview,
  DeliveryState,
  HeaderRecord,
  MessageDetail,
  MessageListItem,
  PartKind,
  PartRecord,
  RecipientRecord,
  TraceEventRecord,
  TranscriptRecord,
} from './query-types.js';

/** Column lists and row shapes for the read queries, with their mapping to API objects. */

export const DELIVERY_LIST_COLUMNS = `
  d.seq, d.id, d.session_id, d.state, d.started_at, d.ended_at, d.mail_from, d.size,
  d.abort_kind, d.abort_detail, m.subject, (m.id IS NOT NULL) AS has_message,
  (SELECT COUNT(*) FROM recipients r
    WHERE r.delivery_id = d.id AND r.status = 'accepted') AS recipient_count`;

export interface DeliveryListRow {
  seq: number;
  id: string;
  session_id: string | null;
  state: DeliveryState;
  started_at: number;
  ended_at: number | null;
  mail_from: string;
  size: number | null;
  abort_kind: string | null;
  abort_detail: string | null;
  subject: string | null;
  has_message: number;
  recipient_count: number;
}

export interface DeliveryDetailRow extends DeliveryListRow {
  mail_from_original: string;
  mail_params: string;
  declared_size: number | null;
  body_type: string | null;
  smtp_utf8: number;
  protocol: string;
  helo: string;
  remote_address: string;
  remote_port: number;
  local_address: string;
  local_port: number;
  tls_version: string | null;
  tls_cipher: string | null;
  auth_user: string | null;
  header_warnings: string | null;
}

export function toDeliveryListItem(row: DeliveryListRow): DeliveryListItem {
  return {
    id: row.id,
    seq: row.seq,
    sessionId: row.session_id,
    state: row.state,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    mailFrom: row.mail_from,
    recipientCount: row.recipient_count,
    subject: row.subject,
    size: row.size,
    abortKind: row.abort_kind,
    abortDetail: row.abort_detail,
    hasMessage: row.has_message === 1,
  };
}

/** Number of accepted recipients that a delivery overview lists. */
export const DELIVERY_PREVIEW_RECIPIENTS = 5;

/** The list columns plus the recipient preview and the message flags; expects `d` and `m`. */
export const DELIVERY_OVERVIEW_COLUMNS = `${DELIVERY_LIST_COLUMNS},
  COALESCE(m.has_attachments, 0) AS has_attachments, m.read AS read,
  (SELECT json_group_array(p.address ORDER BY p.position) FROM (
    SELECT r.address, r.position FROM recipients r
    WHERE r.delivery_id = d.id AND r.status = 'accepted'
    ORDER BY r.position LIMIT ${DELIVERY_PREVIEW_RECIPIENTS}) p) AS recipients_preview,
  (SELECT json_group_array(t.name ORDER BY t.name) FROM message_tags mt
    JOIN tags t ON t.id = mt.tag_id WHERE mt.message_id = m.id) AS tags`;

export interface DeliveryOverviewRow extends DeliveryListRow {
  has_attachments: number;
  read: number | null;
  recipients_preview: string | null;
  tags: string | null;
}

export function toDeliveryOverview(row: DeliveryOverviewRow): DeliveryOverview {
  return {
    ...toDeliveryListItem(row),
    recipientsPreview:
      row.recipients_preview === null ? [] : (JSON.parse(row.recipients_preview) as string[]),
    hasAttachments: row.has_attachments === 1,
    read: row.read === null ? null : row.read === 1,
    tags: row.tags === null ? [] : (JSON.parse(row.tags) as string[]),
  };
}

export function toDeliveryDetail(
  row: DeliveryDetailRow,
  related: Pick<DeliveryDetail, 'recipients' | 'events' | 'transcript'>,
): DeliveryDetail {
  return {
    ...toDeliveryListItem(row),
    mailFromOriginal: row.mail_from_original,
    mailParams: JSON.parse(row.mail_params) as Record<string, string | true>,
    declaredSize: row.declared_size,
    bodyType: row.body_type,
    smtpUtf8: row.smtp_utf8 === 1,
    protocol: row.protocol,
    helo: row.helo,
    remoteAddress: row.remote_address,
    remotePort: row.remote_port,
    localAddress: row.local_address,
    localPort: row.local_port,
    tls:
      row.tls_version === null ? null : { version: row.tls_version, cipher: row.tls_cipher ?? '' },
    authUser: row.auth_user,
    headerWarnings:
      row.header_warnings === null ? [] : (JSON.parse(row.header_warnings) as string[]),
    ...related,
  };
}

export interface RecipientRow {
  position: number;
  address: string;
  original: string;
  status: RecipientRecord['status'];
  reply_code: number;
  reply_enhanced_code: string;
  reply_text: string;
  at: number;
}

export function toRecipientRecord(row: RecipientRow): RecipientRecord {
  return {
    position: row.position,
    address: row.address,
    original: row.original,
    status: row.status,
    reply: { code: row.reply_code, enhancedCode: row.reply_enhanced_code, message: row.reply_text },
    at: row.at,
  };
}

export function toTraceEventRecord(row: {
  seq: number;
  at: number;
  type: string;
  data: string;
}): TraceEventRecord {
  return { ...row, data: JSON.parse(row.data) as Record<string, unknown> };
}

export type TranscriptRow = TranscriptRecord;

export const MESSAGE_LIST_COLUMNS = `
  id, received_at, subject, from_addresses, to_addresses, date, date_is_received_at, size,
  snippet, has_attachments, attachment_count, read`;

export interface MessageListRow {
  id: string;
  received_at: number;
  subject: string;
  from_addresses: string;
  to_addresses: string;
  date: number;
  date_is_received_at: number;
  size: number;
  snippet: string;
  has_attachments: number;
  attachment_count: number;
  read: number;
}

export interface MessageDetailRow extends MessageListRow {
  message_id: string | null;
  cc_addresses: string;
  reply_to_addresses: string;
  envelope_recipients: string;
  warnings: string;
  text: string | null;
  html: string | null;
}

export function toMessageListItem(row: MessageListRow): MessageListItem {
  return {
    id: row.id,
    receivedAt: row.received_at,
    subject: row.subject,
    from: JSON.parse(row.from_addresses) as MessageListItem['from'],
    to: JSON.parse(row.to_addresses) as MessageListItem['to'],
    date: row.date,
    dateIsReceivedAt: row.date_is_received_at === 1,
    size: row.size,
    snippet: row.snippet,
    hasAttachments: row.has_attachments === 1,
    attachmentCount: row.attachment_count,
    read: row.read === 1,
  };
}

export function toMessageDetail(row: MessageDetailRow): MessageDetail {
  return {
    ...toMessageListItem(row),
    messageId: row.message_id,
    cc: JSON.parse(row.cc_addresses) as MessageDetail['cc'],
    replyTo: JSON.parse(row.reply_to_addresses) as MessageDetail['replyTo'],
    envelopeRecipients: JSON.parse(row.envelope_recipients) as string[],
    warnings: JSON.parse(row.warnings) as string[],
    text: row.text,
    html: row.html,
    tags: [],
  };
}

export type HeaderRow = { position: number; name: string; value: string; raw_value: string };

export function toHeaderRecord(row: HeaderRow): HeaderRecord {
  return { position: row.position, name: row.name, value: row.value, rawValue: row.raw_value };
}

export const PART_COLUMNS = `
  part_id, parent_part_id, position, kind, content_type, charset, disposition, filename,
  download_name, content_id, size`;

export interface PartRow {
  part_id: string;
  parent_part_id: string | null;
  position: number;
  kind: PartKind;
  content_type: string;
  charset: string | null;
  disposition: string | null;
  filename: string | null;
  download_name: string | null;
  content_id: string | null;
  size: number;
}

export function toPartRecord(row: PartRow): PartRecord {
  return {
    partId: row.part_id,
    parentPartId: row.parent_part_id,
    position: row.position,
    kind: row.kind,
    contentType: row.content_type,
    charset: row.charset,
    disposition: row.disposition,
    filename: row.filename,
    downloadName: row.download_name,
    contentId: row.content_id,
    size: row.size,
  };
}
