import { addressForLookup } from '../address/index.js';
import type { DeliveryDetail, MessageDetail } from '../store/index.js';
import {
  API_PREFIX,
  type DeliveryView,
  type MessageView,
  type RecipientView,
} from './api-types.js';

/** Returns the API path of a message, with the id percent-encoded. */
export function messagePath(id: string): string {
  return `${API_PREFIX}/messages/${encodeURIComponent(id)}`;
}

/** Adds the URLs of the HTML body and the raw source to a stored message. */
export function toMessageView(message: MessageDetail): MessageView {
  const base = messagePath(message.id);
  return {
    ...message,
    htmlUrl: message.html === null ? null : `${base}/html`,
    rawUrl: `${base}/raw`,
  };
}

/**
 * Combines a delivery with its message and marks its Bcc recipients: accepted envelope
 * recipients that appear in no To or Cc header. Addresses compare by `addressForLookup`,
 * so case and IDNA form do not matter. Without a visible message there are no headers to
 * compare with, and no recipient is marked.
 */
export function toDeliveryView(
  delivery: DeliveryDetail,
  message: MessageDetail | null,
): DeliveryView {
  const inHeaders = new Set(
    [...(message?.to ?? []), ...(message?.cc ?? [])].map((entry) =>
      addressForLookup(entry.address),
    ),
  );
  // Each rcpt step of the trace added one recipient row, in the same order.
  const rcptSteps = delivery.events.filter((event) => event.type === 'rcpt');
  const recipients: RecipientView[] = delivery.recipients.map((recipient, index) => {
    const rule = rcptSteps[index]?.data.rule as RecipientView['rule'];
    return {
      ...recipient,
      bcc:
        message !== null &&
        recipient.status === 'accepted' &&
        !inHeaders.has(addressForLookup(recipient.address)),
      ...(rule === undefined ? {} : { rule }),
    };
  });
  return {
    ...delivery,
    recipients,
    message: message === null ? null : toMessageView(message),
  };
}
