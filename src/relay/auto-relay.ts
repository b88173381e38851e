import type { EventBus } from '../delivery/events.js';
import type { Logger } from '../log.js';
import { BoundedQueue } from '../util/bounded-queue.js';
import type { MessageRelay } from './relay.js';

/** Committed messages waiting for the automatic relay before new ones are dropped. */
const QUEUE_CAPACITY = 1000;

/** Returns true when the stored message `id` matches the search `query`. */
export type MessageMatcher = (id: string, query: string) => boolean;

/**
 * Releases each committed message that matches the relay's `relayMatching` query. It runs
 * after commit from the event bus, one release at a time, so a slow relay server never
 * delays an SMTP reply. A full queue drops messages with a warning.
 */
export class AutoRelay {
  private readonly queue: BoundedQueue<string>;
  private readonly unsubscribe: () => void;

  constructor(options: {
    bus: EventBus;
    relay: MessageRelay;
    matcher: MessageMatcher;
    logger: Logger;
  }) {
    const { relay, matcher, logger } = options;
    this.queue = new BoundedQueue<string>({
      capacity: QUEUE_CAPACITY,
      worker: async (id) => {
        const query = relay.settings.relayMatching;
        if (query === null || relay.settings.server === null) return;
        if (!matcher(id, query)) return;
        await relay.release(id, { trigger: 'automatic' });
      },
      onDrop: (id, droppedTotal) =>
        logger.warn(
          { messageId: id, droppedTotal, capacity: QUEUE_CAPACITY },
          'automatic relay queue full; message not relayed',
        ),
      onError: (error, id) => logger.error({ err: error, messageId: id }, 'automatic relay failed'),
    });
    this.unsubscribe = options.bus.subscribe((event) => {
      if (event.type !== 'delivery.committed') return;
      if (relay.settings.relayMatching === null) return;
      this.queue.push(event.deliveryId);
    });
  }

  /** Resolves once every queued message has been handled. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  close(): void {
    this.unsubscribe();
    this.queue.close();
  }
}
