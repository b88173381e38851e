import { Hono } from 'hono';

import type { EventBus } from '../delivery/events.js';
import type { Store } from '../store/index.js';
import type { WaitResult } from './api-types.js';
import { apiError } from './responses.js';

/** Time /wait waits when the request gives no `timeout`, in milliseconds. */
export const DEFAULT_WAIT_MS = 30_000;
/** Largest `timeout` accepted by /wait, in milliseconds. */
export const MAX_WAIT_MS = 300_000;

/**
 * GET /wait?q=QUERY&timeout=MS&tz=ZONE returns 200 with the newest visible message that
 * matches the search query as soon as one exists or arrives, and 204 with no body when
 * none did within the timeout. A test can then wait for its mail without a polling loop.
 *
 * The route subscribes to the event bus before it searches, so a message committed
 * between the search and the subscription is not missed. It responds on a committed
 * delivery whose message matches, and on a tag or read-state change that makes a stored
 * message match.
 */
export function waitRoute(store: Store, events: EventBus): Hono {
  const routes = new Hono();

  routes.get('/wait', (c) => {
    const query = c.req.query('q') ?? '';
    const timeZone = c.req.query('tz') || undefined;
    const timeoutText = c.req.query('timeout');
    const timeout = timeoutText === undefined ? DEFAULT_WAIT_MS : Number(timeoutText);
    if (!Number.isInteger(timeout) || timeout < 0 || timeout > MAX_WAIT_MS) {
      return apiError(
        c,
        400,
        `Invalid timeout "${timeoutText}": expected milliseconds from 0 to ${MAX_WAIT_MS}.`,
      );
    }

    const queries = store.queries;
    const found = (id: string): Response => {
      const delivery = queries.getDeliveryOverview(id);
      if (delivery === null) return c.body(null, 204);
      return c.json({ id, delivery } satisfies WaitResult);
    };

    return new Promise<Response>((resolve) => {
      let settled = false;
      const cleanups: Array<() => void> = [];
      const settle = (id: string | null): void => {
        if (settled) return;
        settled = true;
        for (const cleanup of cleanups) cleanup();
        resolve(id === null ? c.body(null, 204) : found(id));
      };
      const check = (id: string): void => {
        if (!settled && queries.messageMatches(id, query, { timeZone })) settle(id);
      };
      const searchAll = (): void => {
        const newest = queries.searchMessages(query, { limit: 1, timeZone }).ids[0];
        if (newest !== undefined) settle(newest);
      };

      cleanups.push(
        events.subscribe((event) => {
          if (event.type === 'delivery.committed') check(event.deliveryId);
        }),
        events.subscribeUserEvents((event) => {
          if (event.type === 'message.tags' || event.type === 'message.read') {
            check(event.deliveryId);
          } else if (event.type === 'tags.changed') {
            searchAll();
          }
        }),
      );
      const timer = setTimeout(() => settle(null), timeout);
      cleanups.push(() => clearTimeout(timer));
      const signal = c.req.raw.signal;
      const onAbort = (): void => settle(null);
      signal.addEventListener('abort', onAbort);
      cleanups.push(() => signal.removeEventListener('abort', onAbort));

      searchAll();
    });
  });

  return routes;
}
