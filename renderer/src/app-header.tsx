import { useEffect, useState } from 'react';
import type { RefObject } from 'react';

import type { DeliveryState } from '../../src/http/api-types.js';
import type { LiveStatus } from './live-events.js';
import type { ListFilter } from './list-state.js';
import { OUTCOME_LABELS } from './outcome-badge.js';

/** Typing pauses this long before the search runs. */
const SEARCH_DELAY_MS = 250;

const OUTCOME_CHOICES: DeliveryState[] = ['in-progress', 'committed', 'aborted', 'interrupted'];

const LIVE_LABELS: Record<LiveStatus, string> = {
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Reconnecting…',
};

interface AppHeaderProps {
  filter: ListFilter;
  onFilter(filter: ListFilter): void;
  searchInput: RefObject<HTMLInputElement | null>;
  unread: number | null;
  smtpAddress: string | null;
  liveStatus: LiveStatus;
  onDeleteAll(): void;
  onHelp(): void;
}

/** Renders the bar above the list: name, live state, search, filter and global actions. */
export function AppHeader({
  filter,
  onFilter,
  searchInput,
  unread,
  smtpAddress,
  liveStatus,
  onDeleteAll,
  onHelp,
}: AppHeaderProps) {
  const [search, setSearch] = useState(filter.q);

  useEffect(() => {
    if (search === filter.q) return;
    const timer = window.setTimeout(() => onFilter({ ...filter, q: search }), SEARCH_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [search, filter, onFilter]);

  const outcome = filter.outcomes.length === 1 ? (filter.outcomes[0] as string) : '';

  return (
    <header className="app-header">
      <h1 className="app-name">Mailscope</h1>
      <span className={`live-status live-${liveStatus}`} role="status">
        {LIVE_LABELS[liveStatus]}
      </span>
      {unread !== null && unread > 0 && <span className="unread-count">{unread} unread</span>}
      {smtpAddress && (
        <span className="smtp-address" title="Send mail to this SMTP address">
          SMTP {smtpAddress}
        </span>
      )}

      <form
        className="search"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          onFilter({ ...filter, q: search });
        }}
      >
        <input
          ref={searchInput}
          type="search"
          aria-label="Search deliveries"
          placeholder="Search  ( / )"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
        />
      </form>
      <select
        aria-label="Outcome"
        value={outcome}
        onChange={(event) => {
          const value = event.target.value as DeliveryState | '';
          onFilter({ ...filter, outcomes: value === '' ? [] : [value] });
        }}
      >
        <option value="">All outcomes</option>
        {OUTCOME_CHOICES.map((state) => (
          <option key={state} value={state}>
            {OUTCOME_LABELS[state]}
          </option>
        ))}
      </select>

      <button type="button" className="danger" onClick={onDeleteAll}>
        Delete all
      </button>
      <button
        type="button"
        aria-label="Keyboard shortcuts"
        title="Keyboard shortcuts (?)"
        onClick={onHelp}
      >
        ?
      </button>
    </header>
  );
}
