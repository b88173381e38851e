import { useCallback, useEffect, useReducer, useRef, useState } from 'react';

import type { LiveEvent } from '../../src/http/api-types.js';
import { listDeliveries } from './api-client.js';
import {
  filterKey,
  initialListState,
  listReducer,
  type ListFilter,
  type ListState,
} from './list-state.js';

/** Rows fetched per request. The list requests the next page before the user reaches it. */
export const PAGE_SIZE = 200;

export interface DeliveryList {
  state: ListState;
  /** True while the first page for the current filter is loading. */
  loading: boolean;
  loadingMore: boolean;
  error: string | null;
  loadMore(): void;
  reload(): void;
  applyEvents(events: LiveEvent[]): void;
}

/** Loads the delivery list page by page for `filter` and keeps it current with live events. */
export function useDeliveryList(filter: ListFilter): DeliveryList {
  const [state, dispatch] = useReducer(listReducer, initialListState);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [reloads, setReloads] = useState(0);
  const key = filterKey(filter);
  const latest = useRef({ key, filter, state });
  const moreInFlight = useRef(false);

  useEffect(() => {
    latest.current = { key, filter, state };
  });

  useEffect(() => {
    const controller = new AbortController();
    listDeliveries({ ...filter, cursor: null, limit: PAGE_SIZE }, controller.signal).then(
      (page) => {
        dispatch({ type: 'page', key, filter, page, append: false });
        setError(null);
      },
      (failure: Error) => {
        if (!controller.signal.aborted) setError(failure.message);
      },
    );
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` is the identity of `filter`
  }, [key, reloads]);

  const loadMore = useCallback(() => {
    const { key: currentKey, filter: currentFilter, state: current } = latest.current;
    if (moreInFlight.current || current.key !== currentKey || current.nextCursor === null) return;
    moreInFlight.current = true;
    setLoadingMore(true);

    const query = { ...currentFilter, cursor: current.nextCursor, limit: PAGE_SIZE };
    listDeliveries(query)
      .then((page) => {
        dispatch({ type: 'page', key: currentKey, filter: currentFilter, page, append: true });
        setError(null);
      })
      .catch((failure: Error) => setError(failure.message))
      .finally(() => {
        moreInFlight.current = false;
        setLoadingMore(false);
      });
  }, []);

  const reload = useCallback(() => setReloads((count) => count + 1), []);
  const applyEvents = useCallback((events: LiveEvent[]) => dispatch({ type: 'live', events }), []);

  return {
    state,
    loading: state.key !== key,
    loadingMore,
    error,
    loadMore,
    reload,
    applyEvents,
  };
}
