import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';

import type { Logger } from '../log.js';
import type { LiveEvent } from './api-types.js';
import type { LiveEventHub } from './live-events.js';

/** Time between two heartbeat comments, which keep proxies from closing an idle stream. */
export const DEFAULT_HEARTBEAT_MS = 15_000;

/**
 * Events that may wait for one client. A client that falls this far behind is
 * disconnected; it reconnects with Last-Event-ID and gets the events it missed, or a
 * `resync`.
 */
const MAX_PENDING_EVENTS = 1000;

export interface EventStreamOptions {
  hub: LiveEventHub;
  logger: Logger;
  heartbeatMs?: number;
}

type StreamItem = LiveEvent | 'heartbeat';

/**
 * Handles GET /events: streams live events as Server-Sent Events until the client
 * disconnects or the hub closes. A client that sends Last-Event-ID (or `lastEventId` in
 * the query, for the first connection of an EventSource) first gets the events it missed.
 */
export function handleEventStream(options: EventStreamOptions): (c: Context) => Response {
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;

  return (c) => {
    const lastEventId = c.req.header('last-event-id') ?? c.req.query('lastEventId');
    return streamSSE(c, async (stream) => {
      const pending: StreamItem[] = [...missedEvents(options.hub, lastEventId)];
      let wake: () => void = () => {};
      let ended = false;
      let unsubscribe: () => void = () => {};
      const end = (): void => {
        ended = true;
        unsubscribe();
        wake();
      };
      const enqueue = (item: StreamItem): void => {
        pending.push(item);
        wake();
      };

      // Subscribing right after reading the missed events, with no await between, leaves
      // no gap in which an event could be lost.
      unsubscribe = options.hub.subscribe({
        event(event) {
          if (pending.length < MAX_PENDING_EVENTS) {
            enqueue(event);
            return;
          }
          options.logger.warn(
            { pending: pending.length },
            'live event client fell behind; closing its stream',
          );
          end();
          // The loop may wait on a write that this client never reads, so only an abort
          // ends it.
          stream.abort();
        },
        close: end,
      });
      stream.onAbort(end);
      const heartbeat = setInterval(() => {
        if (pending.length === 0) enqueue('heartbeat');
      }, heartbeatMs);

      try {
        // A first comment sends the response headers now, before any event exists.
        await stream.write(': connected\n\n');
        while (!ended) {
          const item = pending.shift();
          if (item === undefined) {
            await new Promise<void>((resolve) => (wake = resolve));
          } else if (item === 'heartbeat') {
            await stream.write(': heartbeat\n\n');
          } else {
            await stream.writeSSE({ id: String(item.id), data: JSON.stringify(item) });
          }
        }
      } finally {
        clearInterval(heartbeat);
        unsubscribe();
      }
    });
  };
}

/** Returns what a client with `lastEventId` gets before the live events. */
function missedEvents(hub: LiveEventHub, lastEventId: string | undefined): LiveEvent[] {
  if (lastEventId === undefined || lastEventId.trim() === '') return [];
  if (!/^\d+$/.test(lastEventId.trim())) return [hub.resyncEvent()];

  const replay = hub.replayAfter(Number(lastEventId));
  return replay.kind === 'resync' ? [replay.event] : replay.events;
}
