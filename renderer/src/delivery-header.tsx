import type { AddressEntry, DeliveryView } from '../../src/http/api-types.js';
import { pageRelative, setRead, withQueryParam } from './api-client.js';
import { useNotify } from './app-notices.js';
import { CopyButton } from './copy-button.js';
import {
  describeDelivery,
  formatAddressEntry,
  formatDateTime,
  formatMailFrom,
  formatSize,
} from './format.js';
import { ReleaseButton, ReleaseHistory } from './message-release.js';
import { OutcomeBadge } from './outcome-badge.js';
import { TagEditor } from './tag-chips.js';

interface DeliveryHeaderProps {
  view: DeliveryView;
  onDelete(id: string, description: string): void;
  /** Filters the list by a tag, when a tag is clicked. */
  onTagClick(name: string): void;
}

/** Renders the top of the detail: subject, addresses, outcome and the actions. */
export function DeliveryHeader({ view, onDelete, onTagClick }: DeliveryHeaderProps) {
  const notify = useNotify();
  const message = view.message;
  const accepted = view.recipients.filter((recipient) => recipient.status === 'accepted');
  const bccCount = accepted.filter((recipient) => recipient.bcc).length;
  const rejectedCount = countStatus(view, 'rejected');
  const duplicateCount = countStatus(view, 'duplicate');

  const toggleRead = () => {
    if (!message) return;
    const requestedState = message.read ? 'unread' : 'read';
    setRead(message.id, !message.read).catch((error: Error) =>
      notify(`Could not mark the message ${requestedState}: ${error.message}`, 'error'),
    );
  };

  return (
    <header className="detail-header">
      <div className="detail-title-row">
        <h2 className="detail-subject">
          {message ? message.subject || '(no subject)' : untitled(view)}
        </h2>
        <OutcomeBadge
          state={view.state}
          abortKind={view.abortKind}
          abortDetail={view.abortDetail}
        />
      </div>
      {view.state === 'aborted' && view.abortDetail && (
        <p className="abort-reason" role="note">
          Aborted: {view.abortDetail}
        </p>
      )}

      <dl className="detail-facts">
        {message && <AddressFact label="From" entries={message.from} />}
        {message && <AddressFact label="To" entries={message.to} />}
        {message && message.cc.length > 0 && <AddressFact label="Cc" entries={message.cc} />}
        {message && message.replyTo.length > 0 && (
          <AddressFact label="Reply-To" entries={message.replyTo} />
        )}
        <dt>Envelope</dt>
        <dd>
          <span className="address">{formatMailFrom(view.mailFrom)}</span> → {accepted.length}{' '}
          accepted recipient{accepted.length === 1 ? '' : 's'}
          {bccCount > 0 && `, ${bccCount} Bcc`}
          {rejectedCount > 0 && `, ${rejectedCount} rejected`}
          {duplicateCount > 0 && `, ${duplicateCount} duplicate${duplicateCount === 1 ? '' : 's'}`}
        </dd>
        <dt>Received</dt>
        <dd>
          {formatDateTime(view.startedAt)}
          {view.size !== null && ` · ${formatSize(view.size)}`}
        </dd>
        {message && (
          <>
            <dt>Date</dt>
            <dd>
              {message.dateIsReceivedAt
                ? 'missing or invalid, shown as the received time'
                : formatDateTime(message.date)}
            </dd>
          </>
        )}
        {message && (
          <>
            <dt>Tags</dt>
            <dd>
              <TagEditor messageId={message.id} tags={message.tags} onTagClick={onTagClick} />
            </dd>
          </>
        )}
      </dl>

      <div className="detail-actions" role="toolbar" aria-label="Delivery actions">
        {message && (
          <>
            <button type="button" onClick={toggleRead}>
              {message.read ? 'Mark unread' : 'Mark read'}
            </button>
            <a
              className="button"
              href={withQueryParam(pageRelative(message.rawUrl), 'download', '1')}
              download
            >
              Download .eml
            </a>
            <ReleaseButton message={message} />
          </>
        )}
        <button
          type="button"
          className="danger"
          onClick={() =>
            onDelete(
              view.id,
              describeDelivery({ subject: message?.subject ?? null, mailFrom: view.mailFrom }),
            )
          }
        >
          Delete
        </button>
      </div>
      {message && <ReleaseHistory messageId={message.id} />}
    </header>
  );
}

function countStatus(view: DeliveryView, status: 'rejected' | 'duplicate'): number {
  return view.recipients.filter((recipient) => recipient.status === status).length;
}

function untitled(view: DeliveryView): string {
  if (view.state !== 'in-progress') return 'Delivery without a message';
  // The size is set once the body has arrived, and before that there is no message yet.
  return view.size === null
    ? 'Delivery in progress (no message yet)'
    : 'Delivery in progress (receiving…)';
}

function AddressFact({ label, entries }: { label: string; entries: AddressEntry[] }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>
        {entries.length === 0 && <span className="muted">none</span>}
        {entries.map((entry, index) => (
          <span key={index} className="address">
            <bdi>{formatAddressEntry(entry)}</bdi>
            {entry.address !== '' && (
              <CopyButton text={entry.address} label={`Copy address ${entry.address}`} />
            )}
            {index < entries.length - 1 && ', '}
          </span>
        ))}
      </dd>
    </>
  );
}
