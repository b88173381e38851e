import { useEffect, useRef, useState } from 'react';

import type { LiveEvent } from '../../src/http/api-types.js';
import { API_BASE } from './api-client.js';

export type LiveStatus = 'connecting' | 'open' | 'reconnecting';

/** Events that arrive within this many milliseconds reach the handler as one batch. */
const BATCH_DELAY_MS = 40;

/** Delay before opening a new stream after the browser gave up reconnecting. */
const REOPEN_DELAY_MS = 3000;

/**
 * Subscribes to the live event stream and passes the events to `onEvents` in batches.
 * EventSource reconnects by itself and sends Last-Event-ID, so the server can replay
 * what was missed or send `resync`. When the browser gives up (the server responded
 * with an HTTP error), a new stream opens after a delay and the handler receives a `resync`,
 * because events in the gap are lost.
 */
export function useLiveEvents(onEvents: (events: LiveEvent[]) => void): LiveStatus {
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const handler = useRef(onEvents);

  useEffect(() => {
    handler.current = onEvents;
  });

  useEffect(() => {
    let source: EventSource | null = null;
    let queue: LiveEvent[] = [];
    let flushTimer: number | undefined;
    let reopenTimer: number | undefined;

    const flush = () => {
      flushTimer = undefined;
      const batch = queue;
      queue = [];
      handler.current(batch);
    };
    const enqueue = (event: LiveEvent) => {
      queue.push(event);
      flushTimer ??= window.setTimeout(flush, BATCH_DELAY_MS);
    };
    const receive = (message: MessageEvent<string>) => {
      try {
        enqueue(JSON.parse(message.data) as LiveEvent);
      } catch (error) {
        console.warn('live event is not valid JSON', { data: message.data, error });
      }
    };

    const open = (afterGap: boolean) => {
      source = new EventSource(`${API_BASE}/events`);
      // The server sends every live event unnamed, so all arrive as `message`.
      source.addEventListener('message', receive);
      source.addEventListener('open', () => {
        setStatus('open');
        if (afterGap) enqueue({ id: -1, type: 'resync', at: Date.now() });
        afterGap = false;
      });
      source.addEventListener('error', () => {
        if (source?.readyState === EventSource.CLOSED) {
          source.close();
          setStatus('reconnecting');
          reopenTimer = window.setTimeout(() => open(true), REOPEN_DELAY_MS);
        } else {
          setStatus('reconnecting');
        }
      });
    };
    open(false);

    return () => {
      source?.close();
      window.clearTimeout(flushTimer);
      window.clearTimeout(reopenTimer);
    };
  }, []);

  return status;
}
