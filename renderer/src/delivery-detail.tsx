import { useEffect, useMemo, useRef, useState } from 'react';

import type { DeliveryView, PartRecord } from '../../src/http/api-types.js';
import { ApiError, getDelivery, getParts, setRead } from './api-client.js';
import { useNotify } from './app-notices.js';
import { DeliveryEnvelope } from './delivery-envelope.js';
import { DeliveryHeader } from './delivery-header.js';
import { DeliveryTimeline } from './delivery-timeline.js';
import { useResource } from './fetch-resource.js';
import { navigate, type DetailTab } from './hash-route.js';
import { MessageAttachments } from './message-attachments.js';
import { MessageHeaders } from './message-headers.js';
import { MessageHtml } from './message-html.js';
import { MessageMime } from './message-mime.js';
import { MessageRaw } from './message-raw.js';
import { MessageText } from './message-text.js';

const TAB_LABELS: Record<DetailTab, string> = {
  envelope: 'Envelope',
  timeline: 'Timeline',
  html: 'HTML',
  text: 'Text',
  headers: 'Headers',
  raw: 'Raw',
  mime: 'MIME tree',
  attachments: 'Attachments',
};

/** The read flag of a message as the latest `message.read` live event set it. */
export interface ReadFlag {
  deliveryId: string;
  read: boolean;
}

interface DeliveryDetailProps {
  id: string;
  tab: DetailTab | null;
  /** Grows whenever a live event concerns this delivery, so the view reloads. */
  version: number;
  /** Applied over the loaded view when it names this delivery, so no reload is needed. */
  readFlag: ReadFlag | null;
  onDelete(id: string, description: string): void;
  /** Filters the list by a tag, when a tag is clicked. */
  onTagClick(name: string): void;
}

/** Renders the detail of one delivery: a summary with actions, and a tab for each view. */
export function DeliveryDetail(props: DeliveryDetailProps) {
  const { id, tab, version, readFlag, onDelete, onTagClick } = props;
  const [retries, setRetries] = useState(0);
  const delivery = useResource(id, version + retries, (signal) => getDelivery(id, signal));
  const view = useMemo(() => withReadFlag(delivery.data, readFlag), [delivery.data, readFlag]);
  const messageVersion = view?.message ? 1 : 0;
  const parts = useResource<PartRecord[]>(view?.message ? id : null, messageVersion, (signal) =>
    getParts(id, signal),
  );
  useMarkReadOnOpen(view);

  if (delivery.error) {
    const gone = delivery.error instanceof ApiError && delivery.error.status === 404;
    if (gone) {
      return (
        <div className="detail-empty" role="alert">
          This delivery no longer exists: it was deleted.
        </div>
      );
    }
    return (
      <div className="detail-empty" role="alert">
        <p>Could not load this delivery: {delivery.error.message}</p>
        <button type="button" onClick={() => setRetries((count) => count + 1)}>
          Retry
        </button>
      </div>
    );
  }
  if (!view) return <div className="detail-empty">Loading…</div>;

  const tabs = availableTabs(view);
  const current = tab && tabs.includes(tab) ? tab : defaultTab(view);
  const attachmentCount = parts.data?.filter((part) => part.kind === 'attachment').length;
  const warningCount = view.headerWarnings.length + (view.message?.warnings.length ?? 0);

  return (
    <article className="detail" aria-label="Delivery detail">
      <DeliveryHeader view={view} onDelete={onDelete} onTagClick={onTagClick} />
      {warningCount > 0 && (
        <p className="warning-banner" role="note">
          Mailscope repaired this message while reading it: {warningCount} warning
          {warningCount === 1 ? '' : 's'} —{' '}
          <button type="button" className="link-button" onClick={() => navigate(id, 'envelope')}>
            see Envelope
          </button>
        </p>
      )}
      <div className="tabs" role="tablist" aria-label="Views of this delivery">
        {tabs.map((name) => (
          <button
            key={name}
            type="button"
            role="tab"
            id={`tab-${name}`}
            aria-selected={name === current}
            aria-controls="detail-panel"
            className="tab"
            onClick={() => navigate(id, name)}
          >
            {TAB_LABELS[name]}
            {name === 'attachments' && attachmentCount !== undefined && ` (${attachmentCount})`}
          </button>
        ))}
      </div>
      <div
        className={`tab-panel tab-panel-${current}`}
        id="detail-panel"
        role="tabpanel"
        aria-labelledby={`tab-${current}`}
      >
        <TabContent view={view} tab={current} parts={parts.data} partsError={parts.error} />
      </div>
    </article>
  );
}

interface TabContentProps {
  view: DeliveryView;
  tab: DetailTab;
  parts: PartRecord[] | undefined;
  partsError: Error | undefined;
}

function TabContent({ view, tab, parts, partsError }: TabContentProps) {
  const message = view.message;
  switch (tab) {
    case 'envelope':
      return <DeliveryEnvelope view={view} />;
    case 'timeline':
      return <DeliveryTimeline view={view} />;
  }
  if (!message) return null;
  switch (tab) {
    case 'html':
      return message.htmlUrl ? <MessageHtml key={message.id} htmlUrl={message.htmlUrl} /> : null;
    case 'text':
      return <MessageText text={message.text} rawUrl={message.rawUrl} />;
    case 'headers':
      return <MessageHeaders messageId={message.id} rawUrl={message.rawUrl} />;
    case 'raw':
      return <MessageRaw rawUrl={message.rawUrl} />;
    case 'mime':
      return <MessageMime messageId={message.id} parts={parts} error={partsError} />;
    case 'attachments':
      return <MessageAttachments messageId={message.id} parts={parts} error={partsError} />;
  }
}

function availableTabs(view: DeliveryView): DetailTab[] {
  const tabs: DetailTab[] = ['envelope', 'timeline'];
  if (!view.message) return tabs;
  if (view.message.htmlUrl) tabs.push('html');
  tabs.push('text', 'headers', 'raw', 'mime', 'attachments');
  return tabs;
}

function defaultTab(view: DeliveryView): DetailTab {
  if (!view.message) return 'timeline';
  return view.message.htmlUrl ? 'html' : 'text';
}

function withReadFlag(
  view: DeliveryView | undefined,
  flag: ReadFlag | null,
): DeliveryView | undefined {
  if (!view?.message || flag === null || flag.deliveryId !== view.id) return view;
  if (view.message.read === flag.read) return view;
  return { ...view, message: { ...view.message, read: flag.read } };
}

/** Marks the message read once when its detail opens, as mail clients do. */
function useMarkReadOnOpen(view: DeliveryView | undefined): void {
  const notify = useNotify();
  const marked = useRef<string | null>(null);
  const message = view?.message;

  useEffect(() => {
    if (!message || message.read || marked.current === message.id) return;
    marked.current = message.id;
    setRead(message.id, true).catch((error: Error) =>
      notify(`Could not mark the message read: ${error.message}`, 'error'),
    );
  }, [message, notify]);
}
