import { useCallback, useEffect, useRef, useState } from 'react';

import type { IntakeState, LiveEvent, StoreCounts } from '../../src/http/api-types.js';
import { deleteAllMessages, deleteDelivery, getCounts, getStatus } from './api-client.js';
import { ConfirmDialog, HelpDialog } from './app-dialog.js';
import { AppHeader } from './app-header.js';
import { useKeyboardShortcuts } from './app-keyboard.js';
import { useNotify } from './app-notices.js';
import { DeliveryDetail, type ReadFlag } from './delivery-detail.js';
import { useResource } from './fetch-resource.js';
import { describeDelivery } from './format.js';
import { navigate, useRoute } from './hash-route.js';
import { IntakeBanner, IntakeSwitch } from './intake-switch.js';
import { useDeliveryList } from './list-data.js';
import type { ListFilter } from './list-state.js';
import { ListView } from './list-view.js';
import { useLiveEvents } from './live-events.js';
import { getIntake } from './rules-api.js';
import { RulesPanel } from './rules-panel.js';
import { tagQuery } from './tag-chips.js';
import { TagManager } from './tag-manager.js';

/** Counts reload at most this often while events stream in. */
const COUNTS_INTERVAL_MS = 300;

type Overlay = 'help' | 'delete-all' | 'rules' | 'tags' | null;

/** Events after which the tag list or its counts may differ. */
const TAG_EVENTS = new Set<LiveEvent['type']>([
  'tags.changed',
  'message.tags',
  'message.deleted',
  'messages.cleared',
  'delivery.committed',
  'resync',
]);

export function App() {
  const notify = useNotify();
  const route = useRoute();
  const [filter, setFilter] = useState<ListFilter>({ outcomes: [], q: '' });
  const [chosenId, setChosenId] = useState<string | null>(null);
  const [overlay, setOverlay] = useState<Overlay>(null);
  const [detailVersion, setDetailVersion] = useState(0);
  const [readFlag, setReadFlag] = useState<ReadFlag | null>(null);
  const searchInput = useRef<HTMLInputElement>(null);
  const [rulesVersion, setRulesVersion] = useState(0);
  const [tagsVersion, setTagsVersion] = useState(0);
  const [intake, setIntake] = useState<IntakeState | null>(null);

  const list = useDeliveryList(filter);
  const rows = list.state.rows;
  const selectedId = chosenId ?? route.deliveryId;
  const [countsVersion, reloadCounts] = useThrottledVersion(COUNTS_INTERVAL_MS);
  const counts = useResource('counts', countsVersion, getCounts);
  const status = useResource('status', 0, getStatus);
  const unread = counts.data?.unread ?? null;

  useEffect(() => {
    document.title = unread ? `(${unread}) Mailscope` : 'Mailscope';
  }, [unread]);

  useEffect(() => {
    getIntake().then(setIntake, () => setIntake(null));
  }, []);

  const openId = route.deliveryId;
  const onLiveEvents = useCallback(
    (events: LiveEvent[]) => {
      const reset = events.some(
        (event) =>
          event.type === 'resync' ||
          event.type === 'messages.cleared' ||
          event.type === 'tags.changed',
      );
      list.applyEvents(events);
      if (reset) list.reload();
      reloadCounts();
      // A read flag change only updates the flag in the open detail. Every other event
      // about the open delivery reloads it.
      const touchesOpen = events.some(
        (event) =>
          reset ||
          ('deliveryId' in event && event.deliveryId === openId && event.type !== 'message.read'),
      );
      if (touchesOpen) setDetailVersion((version) => version + 1);
      if (reset) setReadFlag(null);
      for (const event of events) {
        if (event.type === 'message.read') {
          setReadFlag({ deliveryId: event.deliveryId, read: event.read });
        }
        if (event.type === 'intake.changed') setIntake(event.intake);
      }
      // Rule counters change with delivery steps, so the rules panel reloads on them too.
      if (events.some((event) => event.type === 'rules.changed' || 'delivery' in event)) {
        setRulesVersion((version) => version + 1);
      }
      if (events.some((event) => TAG_EVENTS.has(event.type))) {
        setTagsVersion((version) => version + 1);
      }
      if (events.some((event) => event.type === 'resync')) {
        getIntake().then(setIntake, () => undefined);
      }
    },
    [list, openId, reloadCounts],
  );
  const liveStatus = useLiveEvents(onLiveEvents);

  const filterByTag = useCallback(
    (name: string) => setFilter((current) => ({ ...current, q: tagQuery(name) })),
    [],
  );

  const open = useCallback(
    (id: string) => {
      setChosenId(id);
      navigate(id, route.tab);
    },
    [route.tab],
  );

  /**
   * Deletes a delivery and, if it had one, its message. `description` names it in the
   * notice, such as the subject. `describeDelivery` makes one from a list row.
   */
  const removeDelivery = useCallback(
    (id: string, description: string) => {
      const index = rows.findIndex((row) => row.id === id);
      const neighbour = rows[index + 1] ?? rows[index - 1] ?? null;
      deleteDelivery(id).then(
        () => {
          notify(`Deleted ${description}`);
          if (selectedId === id) setChosenId(neighbour?.id ?? null);
          if (openId === id) navigate(null);
        },
        (error: Error) => notify(`Could not delete ${description}: ${error.message}`, 'error'),
      );
    },
    [rows, selectedId, openId, notify],
  );

  const confirmDeleteAll = () => {
    setOverlay(null);
    deleteAllMessages().then(
      (deleted) => {
        notify(`Deleted ${countDeliveries(deleted)}`);
        setChosenId(null);
        navigate(null);
        list.reload();
      },
      (error: Error) => notify(`Could not delete all deliveries: ${error.message}`, 'error'),
    );
  };

  useKeyboardShortcuts({
    moveSelection(step) {
      if (rows.length === 0) return;
      const index = selectedId === null ? -1 : rows.findIndex((row) => row.id === selectedId);
      const next = index < 0 ? 0 : Math.min(rows.length - 1, Math.max(0, index + step));
      setChosenId((rows[next] ?? rows[0])?.id ?? null);
    },
    openSelected() {
      if (selectedId !== null) open(selectedId);
    },
    deleteSelected() {
      // The open delivery is the one in view, so Delete acts on it before the selection.
      const target = openId ?? selectedId;
      if (target === null) return;
      const row = rows.find((candidate) => candidate.id === target);
      removeDelivery(target, row ? describeDelivery(row) : 'the delivery');
    },
    focusSearch() {
      searchInput.current?.focus();
      searchInput.current?.select();
    },
    showHelp() {
      setOverlay('help');
    },
  });

  const smtp = status.data?.smtp;
  return (
    <div className={`app${openId ? ' detail-open' : ''}`}>
      <AppHeader
        filter={filter}
        onFilter={setFilter}
        searchInput={searchInput}
        unread={unread}
        smtpAddress={smtp ? `${smtp.host}:${smtp.port}` : null}
        liveStatus={liveStatus}
        onDeleteAll={() => {
          // The count in the dialog must be current, not the last throttled one.
          reloadCounts();
          setOverlay('delete-all');
        }}
        onHelp={() => setOverlay('help')}
      >
        <button type="button" onClick={() => setOverlay('rules')}>
          Rules
        </button>
        <button type="button" onClick={() => setOverlay('tags')}>
          Tags
        </button>
        <IntakeSwitch intake={intake} onChange={setIntake} onError={(m) => notify(m, 'error')} />
      </AppHeader>
      <IntakeBanner intake={intake} />
      <main className="app-main">
        <section className="list-pane" aria-label="Delivery list">
          <ListStatusBar list={list} />
          {rows.length === 0 && !list.loading ? (
            <EmptyList
              filtered={filter.q !== '' || filter.outcomes.length > 0 || filter.rule !== undefined}
              smtp={smtp}
            />
          ) : (
            <ListView
              rows={rows}
              selectedId={selectedId}
              openId={openId}
              hasMore={list.state.nextCursor !== null}
              loadingMore={list.loadingMore}
              onOpen={open}
              onLoadMore={list.loadMore}
              onTagClick={filterByTag}
            />
          )}
        </section>
        <section className="detail-pane" aria-label="Delivery detail pane">
          {openId ? (
            <>
              <button
                type="button"
                className="close-detail"
                aria-label="Close the detail"
                onClick={() => navigate(null)}
              >
                ×
              </button>
              <DeliveryDetail
                id={openId}
                tab={route.tab}
                version={detailVersion}
                readFlag={readFlag}
                onDelete={removeDelivery}
                onTagClick={filterByTag}
              />
            </>
          ) : (
            <div className="detail-empty">
              <p>Select a delivery to see its envelope, timeline and message.</p>
              <p className="muted">
                Press <kbd>?</kbd> for keyboard shortcuts.
              </p>
            </div>
          )}
        </section>
      </main>

      {overlay === 'help' && <HelpDialog onClose={() => setOverlay(null)} />}
      {overlay === 'rules' && (
        <RulesPanel version={rulesVersion} onClose={() => setOverlay(null)} />
      )}
      {overlay === 'tags' && (
        <TagManager version={tagsVersion} onFilter={filterByTag} onClose={() => setOverlay(null)} />
      )}
      {overlay === 'delete-all' && (
        <ConfirmDialog
          title="Delete all deliveries?"
          message={deleteAllMessage(counts.data)}
          confirmLabel="Delete all"
          onConfirm={confirmDeleteAll}
          onCancel={() => setOverlay(null)}
        />
      )}
    </div>
  );
}

function deleteAllMessage(counts: StoreCounts | undefined): string {
  const finished = counts ? counts.deliveries - counts.inProgress : null;
  const what =
    finished === null ? 'every finished delivery' : countDeliveries(finished, 'finished ');
  return `This deletes ${what} with their messages and trace. Deliveries still in progress stay. It cannot be undone.`;
}

/** Formats a count of deliveries with grouped digits, such as `1,218 finished deliveries`. */
function countDeliveries(count: number, adjective = ''): string {
  return `${count.toLocaleString()} ${adjective}deliver${count === 1 ? 'y' : 'ies'}`;
}

function ListStatusBar({ list }: { list: ReturnType<typeof useDeliveryList> }) {
  const { total, unsearchedNew } = list.state;
  return (
    <div className="list-status">
      <span>{list.loading ? 'Loading…' : countDeliveries(total)}</span>
      {unsearchedNew > 0 && (
        <button type="button" className="link-button" onClick={list.reload}>
          {unsearchedNew.toLocaleString()} new deliver{unsearchedNew === 1 ? 'y' : 'ies'} since this
          search — search again
        </button>
      )}
      {list.error && (
        <span role="alert" className="error-text">
          {list.error}{' '}
          <button type="button" className="link-button" onClick={list.reload}>
            Retry
          </button>
        </span>
      )}
    </div>
  );
}

function EmptyList({
  filtered,
  smtp,
}: {
  filtered: boolean;
  smtp: { host: string; port: number } | undefined;
}) {
  if (filtered) return <div className="list-empty">No delivery matches this filter.</div>;
  return (
    <div className="list-empty">
      <p>No mail yet.</p>
      {smtp && (
        <p className="muted">
          Send mail to SMTP {smtp.host}:{smtp.port} and it shows here as it arrives.
        </p>
      )}
    </div>
  );
}

/**
 * Returns a version number and a function that bumps it. The first call schedules an
 * increment `intervalMs` later, and calls made before it fires join that increment.
 */
function useThrottledVersion(intervalMs: number): [number, () => void] {
  const [version, setVersion] = useState(0);
  const timer = useRef<number | undefined>(undefined);

  useEffect(() => () => window.clearTimeout(timer.current), []);

  const bump = useCallback(() => {
    if (timer.current !== undefined) return;
    timer.current = window.setTimeout(() => {
      timer.current = undefined;
      setVersion((current) => current + 1);
    }, intervalMs);
  }, [intervalMs]);

  return [version, bump];
}
