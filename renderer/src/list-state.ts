import type {
  DeliveryPage,
  DeliveryState,
  DeliverySummary,
  LiveEvent,
} from '../../src/http/api-types.js';

export interface ListFilter {
  /** Outcomes to show, or every outcome when empty. */
  outcomes: DeliveryState[];
  /**
   * Search query in the search language. The server evaluates it, so live rows cannot be
   * matched against it.
   */
  q: string;
  /** `*` shows only deliveries aborted by a failure rule. */
  rule?: '*';
}

/** The loaded part of the delivery list, newest first (descending `seq`). */
export interface ListState {
  /** Key of the filter the rows were loaded with, from `filterKey`, or null before the first page. */
  key: string | null;
  filter: ListFilter;
  rows: DeliverySummary[];
  nextCursor: string | null;
  total: number;
  /** Deliveries that started while a search was active. A reload shows those that match. */
  unsearchedNew: number;
}

export type ListAction =
  | { type: 'page'; key: string; filter: ListFilter; page: DeliveryPage; append: boolean }
  | { type: 'live'; events: LiveEvent[] };

export const initialListState: ListState = {
  key: null,
  filter: { outcomes: [], q: '' },
  rows: [],
  nextCursor: null,
  total: 0,
  unsearchedNew: 0,
};

export function filterKey(filter: ListFilter): string {
  return JSON.stringify([[...filter.outcomes].sort(), filter.q.trim(), filter.rule ?? '']);
}

export function listReducer(state: ListState, action: ListAction): ListState {
  switch (action.type) {
    case 'page':
      return applyPage(state, action.key, action.filter, action.page, action.append);
    case 'live':
      return applyLiveEvents(state, action.events);
  }
}

function applyPage(
  state: ListState,
  key: string,
  filter: ListFilter,
  page: DeliveryPage,
  append: boolean,
): ListState {
  if (!append || state.key !== key) {
    return {
      key,
      filter,
      rows: page.deliveries,
      nextCursor: page.nextCursor,
      total: page.total,
      unsearchedNew: 0,
    };
  }
  // A row can arrive twice when a live event inserted it before its page loaded.
  const known = new Set(state.rows.map((row) => row.id));
  const added = page.deliveries.filter((row) => !known.has(row.id));
  return {
    ...state,
    rows: [...state.rows, ...added],
    nextCursor: page.nextCursor,
    total: page.total,
  };
}

/**
 * Applies a batch of live events with one copy of the rows. `resync` and `tags.changed`
 * are not handled here: the caller reloads the list instead.
 */
export function applyLiveEvents(state: ListState, events: LiveEvent[]): ListState {
  if (state.key === null || events.length === 0) return state;
  const next = { ...state, rows: state.rows.slice() };

  for (const event of events) {
    switch (event.type) {
      case 'message.deleted':
        removeRow(next, event.deliveryId);
        break;
      case 'messages.cleared':
        next.rows = [];
        next.total = 0;
        next.nextCursor = null;
        break;
      case 'message.read':
        updateRead(next, event.deliveryId, event.read);
        break;
      case 'message.tags':
        updateTags(next, event.deliveryId, event.tags);
        break;
      case 'resync':
      case 'tags.changed':
      case 'rules.changed':
      case 'intake.changed':
        break;
      default:
        upsertRow(next, event.delivery, event.type === 'delivery.started');
    }
  }
  return next;
}

function upsertRow(state: ListState, delivery: DeliverySummary, started: boolean): void {
  const index = findBySeq(state.rows, delivery.seq);
  const existing = index >= 0 ? state.rows[index] : undefined;

  if (existing && existing.id === delivery.id) {
    if (!matchesOutcome(state.filter, delivery)) {
      state.rows.splice(index, 1);
      state.total = Math.max(0, state.total - 1);
    } else if (!isStale(existing, delivery)) {
      state.rows[index] = delivery;
    }
    return;
  }

  if (!matchesOutcome(state.filter, delivery)) return;
  if (state.filter.q.trim() !== '') {
    if (started) state.unsearchedNew++;
    return;
  }
  // Older than every loaded row while more pages exist: paging will load it in place.
  const last = state.rows.at(-1);
  if (state.nextCursor !== null && last && delivery.seq < last.seq) return;

  state.rows.splice(insertionPoint(state.rows, delivery.seq), 0, delivery);
  state.total++;
}

/**
 * True when `incoming` describes an earlier step than `existing`. A page loaded after
 * the event was queued can already show the outcome, and a delivery never goes back
 * from a final state to in progress.
 */
function isStale(existing: DeliverySummary, incoming: DeliverySummary): boolean {
  return existing.state !== 'in-progress' && incoming.state === 'in-progress';
}

function matchesOutcome(filter: ListFilter, delivery: DeliverySummary): boolean {
  if (filter.rule !== undefined && delivery.abortKind !== 'rule') return false;
  return filter.outcomes.length === 0 || filter.outcomes.includes(delivery.state);
}

function removeRow(state: ListState, id: string): void {
  const index = state.rows.findIndex((row) => row.id === id);
  if (index < 0) return;
  state.rows.splice(index, 1);
  state.total = Math.max(0, state.total - 1);
}

function updateRead(state: ListState, id: string, read: boolean): void {
  const index = state.rows.findIndex((row) => row.id === id);
  const row = state.rows[index];
  if (row) state.rows[index] = { ...row, read };
}

function updateTags(state: ListState, id: string, tags: string[]): void {
  const index = state.rows.findIndex((row) => row.id === id);
  const row = state.rows[index];
  if (row) state.rows[index] = { ...row, tags };
}

/** Finds a row by binary search over descending `seq`. Returns -1 when absent. */
function findBySeq(rows: DeliverySummary[], seq: number): number {
  const index = insertionPoint(rows, seq);
  return rows[index]?.seq === seq ? index : -1;
}

/** Index of the first row whose `seq` is not larger than `seq`. */
function insertionPoint(rows: DeliverySummary[], seq: number): number {
  let low = 0;
  let high = rows.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((rows[middle] as DeliverySummary).seq > seq) low = middle + 1;
    else high = middle;
  }
  return low;
}
