import { useEffect, useState } from 'react';
import type { ReactNode, RefObject } from 'react';

import type { DeliveryState } from '../../src/http/api-types.js';
import type { LiveStatus } from './live-events.js';
import type { ListFilter } from './list-state.js';
import { OUTCOME_LABELS } from './outcome-badge.js';

/** Typing pauses this long before the search runs. */
const SEARCH_DELAY_MS = 250;

/** The search language in one line, under the search box. */
const SEARCH_SYNTAX_HINT =
  'words, "phrase", -not, from: to: subject: tag: is:unread has:attachment after: rcpt: outcome:';

/** The whole search language, as the search box's tooltip. */
const SEARCH_SYNTAX_TITLE = [
  'Every term must match. Quote a phrase; - or ! negates a term.',
  'Words match the subject, addresses, body, attachment names and X- header values.',
  'from: to: cc: bcc: reply-to: addressed: subject: message-id: tag:',
  'is:read is:unread is:tagged has:attachment has:inline',
  'after:2024-01-31 before:"2024-01-31 14:00" larger:10k smaller:1m',
  'mail-from: rcpt: outcome:committed|aborted|interrupted|in-progress',
].join('\n');

/** The Outcome choice that lists deliveries aborted by a failure rule. */
const RULE_CHOICE = 'rule';

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
  /** Further controls, placed before the global actions. */
  children?: ReactNode;
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
  children,
}: AppHeaderProps) {
  const [search, setSearch] = useState(filter.q);
  // A tag chip sets the query from outside the box, and the box then shows it.
  const [shownQuery, setShownQuery] = useState(filter.q);
  if (filter.q !== shownQuery) {
    setShownQuery(filter.q);
    setSearch(filter.q);
  }

  useEffect(() => {
    if (search === filter.q) return;
    const timer = window.setTimeout(() => onFilter({ ...filter, q: search }), SEARCH_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [search, filter, onFilter]);

  const outcome =
    filter.rule !== undefined
      ? RULE_CHOICE
      : filter.outcomes.length === 1
        ? (filter.outcomes[0] as string)
        : '';

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
          aria-describedby="search-syntax"
          placeholder="Search  ( / )"
          title={SEARCH_SYNTAX_TITLE}
          value={search}
          onChange={(event) => setSearch(event.target.value)}
        />
        <small id="search-syntax" className="search-hint">
          {SEARCH_SYNTAX_HINT}
        </small>
      </form>
      <select
        aria-label="Outcome"
        value={outcome}
        onChange={(event) => {
          const value = event.target.value as DeliveryState | typeof RULE_CHOICE | '';
          const rest: ListFilter = { ...filter };
          delete rest.rule;
          if (value === RULE_CHOICE) onFilter({ ...rest, outcomes: [], rule: '*' });
          else onFilter({ ...rest, outcomes: value === '' ? [] : [value] });
        }}
      >
        <option value="">All outcomes</option>
        {OUTCOME_CHOICES.map((state) => (
          <option key={state} value={state}>
            {OUTCOME_LABELS[state]}
          </option>
        ))}
        <option value={RULE_CHOICE}>Aborted by a rule</option>
      </select>

      {children}
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
