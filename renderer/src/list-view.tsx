import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useMemo, useRef } from 'react';

import type { DeliverySummary } from '../../src/http/api-types.js';
import { formatListTime, formatMailFrom, formatSize } from './format.js';
import { PAGE_SIZE } from './list-data.js';
import { OutcomeBadge } from './outcome-badge.js';
import { TagChips } from './tag-chips.js';

/** Fixed row height in pixels, which must match `.list-row` in styles.css. */
export const ROW_HEIGHT = 68;

/**
 * Start loading the next page when the last rendered row is this close to the end, so
 * that the page usually arrives before the user reaches the end of the loaded rows.
 */
const LOAD_AHEAD_ROWS = PAGE_SIZE / 2;

/**
 * Rows rendered above and below the visible ones. The list renders in the scroll event,
 * so rows scrolled into view are in the DOM in the same frame, and each extra row adds
 * layout and paint work to every scrolled frame.
 */
const OVERSCAN_ROWS = 4;

/** Recipients shown in a row before "+N more". */
const PREVIEW_RECIPIENTS = 2;

interface ListViewProps {
  rows: DeliverySummary[];
  selectedId: string | null;
  openId: string | null;
  hasMore: boolean;
  loadingMore: boolean;
  onOpen(id: string): void;
  onLoadMore(): void;
  /** Filters the list by a tag, when a tag chip is clicked. */
  onTagClick(name: string): void;
}

/** Renders the delivery list with only the rows in view in the DOM, so 100,000 rows stay fast. */
export function ListView(props: ListViewProps) {
  const { rows, selectedId, openId, hasMore, loadingMore, onOpen, onLoadMore, onTagClick } = props;
  const scrollElement = useRef<HTMLDivElement>(null);
  const count = rows.length + (hasMore ? 1 : 0);
  // The virtualiser recomputes the position of every row when `getItemKey` changes, so
  // the function is made once per set of rows instead of on every scrolled frame.
  const getItemKey = useCallback((index: number) => rows[index]?.id ?? 'more', [rows]);
  // eslint-disable-next-line react-hooks/incompatible-library -- the UI is not built with the React Compiler, and the virtualiser's functions stay inside this component
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollElement.current,
    estimateSize: rowHeight,
    overscan: OVERSCAN_ROWS,
    getItemKey,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? -1;

  useEffect(() => {
    if (hasMore && !loadingMore && lastIndex >= rows.length - LOAD_AHEAD_ROWS) onLoadMore();
  }, [hasMore, loadingMore, lastIndex, rows.length, onLoadMore]);

  const selectedIndex = useMemo(
    () => (selectedId === null ? -1 : rows.findIndex((row) => row.id === selectedId)),
    [rows, selectedId],
  );
  useEffect(() => {
    if (selectedIndex >= 0) virtualizer.scrollToIndex(selectedIndex, { align: 'auto' });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- scroll only when the selection moves, not when rows arrive above it
  }, [selectedId]);

  return (
    <div
      ref={scrollElement}
      className="list-scroll"
      role="listbox"
      aria-label="Deliveries"
      tabIndex={0}
      aria-activedescendant={selectedIndex >= 0 ? rowElementId(selectedId as string) : undefined}
    >
      <div className="list-canvas" style={{ height: virtualizer.getTotalSize() }}>
        {items.map((item) => {
          const row = rows[item.index];
          if (!row) {
            return (
              <div
                key={item.key}
                className="list-more"
                style={{ transform: `translateY(${item.start}px)` }}
                role="presentation"
              >
                {loadingMore ? 'Loading more…' : ''}
              </div>
            );
          }
          return (
            <ListRow
              key={item.key}
              row={row}
              position={item.index + 1}
              setSize={count}
              selected={row.id === selectedId}
              open={row.id === openId}
              top={item.start}
              onOpen={onOpen}
              onTagClick={onTagClick}
            />
          );
        })}
      </div>
    </div>
  );
}

/** Returns the height of every row. Rows have a fixed height, so none is measured in the DOM. */
function rowHeight(): number {
  return ROW_HEIGHT;
}

export function rowElementId(id: string): string {
  return `delivery-row-${id}`;
}

interface ListRowProps {
  row: DeliverySummary;
  position: number;
  setSize: number;
  selected: boolean;
  open: boolean;
  /** Offset of the row from the top of the list, in pixels. */
  top: number;
  onOpen(id: string): void;
  onTagClick(name: string): void;
}

/** Renders one row. Rows are memoised, so a scrolled frame renders only the rows that came into view. */
const ListRow = memo(function ListRow(props: ListRowProps) {
  const { row, position, setSize, selected, open, top, onOpen, onTagClick } = props;
  const unread = row.read === false;
  const classes = ['list-row', selected && 'selected', open && 'open', unread && 'unread'];

  return (
    <div
      id={rowElementId(row.id)}
      role="option"
      aria-selected={selected}
      aria-posinset={position}
      aria-setsize={setSize}
      className={classes.filter(Boolean).join(' ')}
      style={{ transform: `translateY(${top}px)` }}
      data-delivery-id={row.id}
      onClick={() => onOpen(row.id)}
    >
      <span className="row-mark">
        {unread && <span className="unread-dot" title="Unread" />}
        {unread && <span className="visually-hidden">Unread. </span>}
      </span>
      <span className={`row-from${row.mailFrom === '' ? ' null-sender' : ''}`}>
        {formatMailFrom(row.mailFrom)}
      </span>
      <time className="row-time" dateTime={new Date(row.startedAt).toISOString()}>
        {formatListTime(row.startedAt)}
      </time>
      <span className={`row-subject${row.subject === null ? ' empty' : ''}`}>
        {row.subject === null ? noSubjectText(row) : row.subject || '(no subject)'}
      </span>
      <span className="row-meta">
        <TagChips tags={row.tags} onTagClick={onTagClick} />
        {row.hasAttachments && <AttachmentMark />}
        <span className="row-size">{formatSize(row.size)}</span>
      </span>
      <span className="row-to">
        <RecipientsPreview row={row} />
      </span>
      <span className="row-outcome">
        <OutcomeBadge state={row.state} abortKind={row.abortKind} abortDetail={row.abortDetail} />
      </span>
    </div>
  );
});

/** Describes a delivery without a subject. */
function noSubjectText(row: DeliverySummary): string {
  if (row.state !== 'in-progress') return '(no message)';
  // NOTE: the summary has no field for DATA having started, so a body still arriving
  // shows "(no message yet)" until `body.received` sets the size and "(receiving…)" shows.
  return row.size === null ? '(no message yet)' : '(receiving…)';
}

/** Renders "to a, b +N more", each address isolated from the text around it. */
function RecipientsPreview({ row }: { row: DeliverySummary }) {
  if (row.recipientCount === 0) return 'no accepted recipients';
  const shown = row.recipientsPreview.slice(0, PREVIEW_RECIPIENTS);
  const more = row.recipientCount - shown.length;
  return (
    <>
      to{' '}
      {shown.map((address, index) => (
        <span key={index}>
          {index > 0 && ', '}
          <bdi>{address}</bdi>
        </span>
      ))}
      {more > 0 && ` +${more} more`}
    </>
  );
}

function AttachmentMark() {
  return (
    <span className="attachment-mark" title="Has attachments">
      <svg viewBox="0 0 16 16" width="13" height="13" aria-hidden="true">
        <path
          d="M10.5 4.5 5.6 9.4a1.4 1.4 0 0 0 2 2l5-5a2.8 2.8 0 0 0-4-4l-5 5a4.2 4.2 0 0 0 6 6l4.4-4.4"
          fill="none"
          stroke="currentColor"
          strokeWidth="1.3"
          strokeLinecap="round"
        />
      </svg>
      <span className="visually-hidden">Has attachments. </span>
    </span>
  );
}
