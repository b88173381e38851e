import { Hono } from 'hono';

import type { EventBus } from '../delivery/events.js';
import type { Store } from '../store/index.js';
import type { WaitResult } from './api-types.js';
import { apiError } from './responses.js';

/** Time /wait waits when the request gives no `timeout`, in milliseconds. */
export const DEFAULT_WAIT_MS = 30_000;
/** Largest `timeout` accepted by /wait, in milliseconds. */
export const MAX_WAIT_MS = 300_000;

/** Query parameters /wait accepts. `query` is Mailpit's name for `q`. */
const WAIT_PARAMETERS = ['q', 'query', 'timeout', 'tz', 'since'];

/**
 * GET /wait?q=QUERY&timeout=MS&tz=ZONE&since=MS returns 200 with the newest visible message
 * that matches the search query as soon as one exists or arrives, and 204 with no body when
 * none did within the timeout. A test can then wait for its mail without a polling loop.
 * `query` is accepted in place of `q`; `since` (milliseconds since the epoch) leaves out
 * messages received before it. An unknown parameter is rejected with 400, so that a
 * misspelt filter does not match every message.
 *
 * The route subscribes to the event bus before it searches, so a message committed
 * between the search and the subscription is not missed. It responds on a committed
 * delivery whose message matches, and on a tag or read-state change that makes a stored
 * message match.
 */
export function waitRoute(store: Store, events: EventBus): Hono {
  const routes = new Hono();

  routes.get('/wait', (c) => {
    const unknown = Object.keys(c.req.query()).filter((name) => !WAIT_PARAMETERS.includes(name));
    if (unknown.length > 0) {
      return apiError(
        c,
        400,
        `Unknown query parameter ${unknown.map((name) => `"${name}"`).join(', ')}: ` +
          `expected ${WAIT_PARAMETERS.join(', ')}.`,
      );
    }
    const q = c.req.query('q');
    const alias = c.req.query('query');
    if (q !== undefined && alias !== undefined && q !== alias) {
      return apiError(c, 400, `Conflicting "q" and "query" parameters: give only one of them.`);
    }
    const query = q ?? alias ?? '';
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
    const sinceText = c.req.query('since');
    const receivedSince = sinceText === undefined ? undefined : Number(sinceText);
    if (
      receivedSince !== undefined &&
      (!Number.isSafeInteger(receivedSince) || receivedSince < 0)
    ) {
      return apiError(
        c,
        400,
        `Invalid since "${sinceText}": expected milliseconds since the epoch, such as Date.now().`,
      );
    }
    const searchOptions = { timeZone, receivedSince };

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
        if (!settled && queries.messageMatches(id, query, searchOptions)) settle(id);
      };
      const searchAll = (): void => {
        const newest = queries.searchMessages(query, { ...searchOptions, limit: 1 }).ids[0];
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
