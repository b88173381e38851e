import { Hono, type Context } from 'hono';

import type { EventBus } from '../delivery/events.js';
import type { DeliveryState, Store } from '../store/index.js';
import { OUTCOMES, type DeliveryPage } from './api-types.js';
import { apiError } from './responses.js';
import { toDeliveryView } from './views.js';

/** Deliveries per page when the request gives no `limit`. */
export const DEFAULT_PAGE_SIZE = 50;
/** Largest `limit` accepted. */
export const MAX_PAGE_SIZE = 500;

/** Routes under /deliveries: the delivery list, the detail of one delivery, deleting one. */
export function deliveryRoutes(store: Store, events: EventBus): Hono {
  const routes = new Hono();

  routes.get('/deliveries', (c) => {
    const filter = readListQuery(c);
    if (typeof filter === 'string') return apiError(c, 400, filter);

    const page = store.queries.listDeliveryOverviews(filter);
    const last = page.items.at(-1);
    return c.json({
      deliveries: page.items,
      nextCursor: page.hasMore && last !== undefined ? encodeCursor(last.seq) : null,
      total: page.total,
    } satisfies DeliveryPage);
  });

  routes.get('/deliveries/:id', (c) => {
    const id = c.req.param('id');
    const delivery = store.queries.getDelivery(id);
    if (delivery === null) return apiError(c, 404, `Delivery ${id} not found.`);
    return c.json(toDeliveryView(delivery, store.queries.getMessage(id)));
  });

  routes.delete('/deliveries/:id', (c) => {
    const id = c.req.param('id');
    const outcome = store.queries.deleteDelivery(id);
    if (outcome === 'not-found') return apiError(c, 404, `Delivery ${id} not found.`);
    if (outcome === 'in-progress') {
      return apiError(c, 409, `Delivery ${id} is still in progress; delete it once it has ended.`);
    }
    events.emitUserEvent({ type: 'message.deleted', deliveryId: id, at: Date.now() });
    return c.body(null, 204);
  });

  return routes;
}

interface ListQuery {
  states: DeliveryState[];
  /** Query in the search language. */
  text: string;
  timeZone?: string;
  abortedByRule?: string;
  beforeSeq?: number;
  limit: number;
}

/** Reads `outcome`, `q`, `rule`, `cursor` and `limit`; returns the error message for an invalid one. */
function readListQuery(c: Context): ListQuery | string {
  const states: DeliveryState[] = [];
  for (const value of (c.req.query('outcome') ?? '').split(',')) {
    const state = value.trim();
    if (state === '') continue;
    if (!OUTCOMES.includes(state as DeliveryState)) {
      return `Invalid outcome "${state}": expected a comma-separated list of ${OUTCOMES.join(', ')}.`;
    }
    states.push(state as DeliveryState);
  }

  const limitText = c.req.query('limit');
  const limit = limitText === undefined ? DEFAULT_PAGE_SIZE : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    return `Invalid limit "${limitText}": expected a whole number from 1 to ${MAX_PAGE_SIZE}.`;
  }

  const query: ListQuery = {
    states,
    text: (c.req.query('q') ?? '').trim(),
    timeZone: c.req.query('tz') || undefined,
    limit,
  };
  // `rule=ID` lists deliveries that the rule aborted; `rule=*` those aborted by any rule.
  const rule = c.req.query('rule')?.trim();
  if (rule !== undefined && rule !== '') query.abortedByRule = rule;
  const cursor = c.req.query('cursor');
  if (cursor !== undefined && cursor !== '') {
    const beforeSeq = decodeCursor(cursor);
    if (beforeSeq === null) {
      return `Invalid cursor "${cursor}": pass the nextCursor of the previous page unchanged.`;
    }
    query.beforeSeq = beforeSeq;
  }
  return query;
}

/**
 * Encodes the keyset position after the delivery with `seq`. The cursor is opaque to
 * clients, so its form may change; it is base64url of `before:<seq>`.
 */
function encodeCursor(seq: number): string {
  return Buffer.from(`before:${seq}`).toString('base64url');
}

function decodeCursor(cursor: string): number | null {
  const match = /^before:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : null;
}
