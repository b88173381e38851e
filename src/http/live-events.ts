import type { CoreEvent, EventBus, UserEvent } from '../delivery/events.js';
import type { StoreQueries } from '../store/index.js';
import type { LiveEvent } from './api-types.js';

/** Live events kept for clients that reconnect, by default. */
export const DEFAULT_LIVE_EVENT_CAPACITY = 1000;

/** A live event before the hub gives it an id. */
type UnnumberedLiveEvent = LiveEvent extends infer E
  ? E extends LiveEvent
    ? Omit<E, 'id'>
    : never
  : never;

/** A connected client of the live event stream. */
export interface LiveEventSubscriber {
  event(event: LiveEvent): void;
  /** Called once when the hub closes, so that the client's stream can end. */
  close(): void;
}

/** Events after a client's last event id, or `resync` when some of them are gone. */
export type Replay = { kind: 'events'; events: LiveEvent[] } | { kind: 'resync'; event: LiveEvent };

export interface LiveEventHubOptions {
  bus: EventBus;
  queries: StoreQueries;
  /** Live events kept for replay, DEFAULT_LIVE_EVENT_CAPACITY by default. */
  capacity?: number;
  now?: () => number;
}

/**
 * Turns bus events into numbered live events for the UI, keeps the latest of them for
 * clients that reconnect, and hands each new one to every connected client.
 *
 * A delivery step carries the delivery as the list shows it, read back from the store.
 * The hub must subscribe to the bus after the store's trace writer, which then has
 * stored the step already. Steps of a delivery that no longer exists are dropped, and so
 * are `body.failed` steps, because an abort always follows them.
 */
export class LiveEventHub {
  private readonly buffer: LiveEvent[] = [];
  private readonly subscribers = new Set<LiveEventSubscriber>();
  private readonly capacity: number;
  private readonly now: () => number;
  private readonly unsubscribe: Array<() => void>;
  private lastId = 0;
  private closed = false;

  constructor(private readonly options: LiveEventHubOptions) {
    this.capacity = Math.max(1, options.capacity ?? DEFAULT_LIVE_EVENT_CAPACITY);
    this.now = options.now ?? Date.now;
    this.unsubscribe = [
      options.bus.subscribe((event) => this.onCoreEvent(event)),
      options.bus.subscribeUserEvents((event) => this.onUserEvent(event)),
    ];
  }

  /** Number of connected clients. */
  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /**
   * Returns the events after `lastEventId` that a reconnecting client missed. When the
   * oldest of them is no longer kept, or the id comes from an earlier run of the server
   * (it is above the newest id), returns a `resync` event numbered with the newest id.
   */
  replayAfter(lastEventId: number): Replay {
    const oldest = this.buffer[0]?.id ?? this.lastId + 1;
    if (lastEventId > this.lastId || lastEventId < oldest - 1) {
      return { kind: 'resync', event: this.resyncEvent() };
    }
    return { kind: 'events', events: this.buffer.filter((event) => event.id > lastEventId) };
  }

  /** Returns a `resync` event numbered with the newest id; a client then reloads its list. */
  resyncEvent(): LiveEvent {
    return { id: this.lastId, type: 'resync', at: this.now() };
  }

  /** Adds a client; returns the function that removes it. A closed hub closes it at once. */
  subscribe(subscriber: LiveEventSubscriber): () => void {
    if (this.closed) {
      subscriber.close();
      return () => {};
    }
    this.subscribers.add(subscriber);
    return () => {
      this.subscribers.delete(subscriber);
    };
  }

  /** Unsubscribes from the bus and closes every client. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    const subscribers = [...this.subscribers];
    this.subscribers.clear();
    for (const subscriber of subscribers) subscriber.close();
  }

  private onCoreEvent(event: CoreEvent): void {
    const type = liveTypeOf(event);
    if (type === null || !('deliveryId' in event)) return;
    const delivery = this.options.queries.getDeliveryOverview(event.deliveryId);
    if (delivery === null) return;
    this.publish({ type, deliveryId: event.deliveryId, at: event.at, delivery });
  }

  private onUserEvent(event: UserEvent): void {
    switch (event.type) {
      case 'message.deleted':
        this.publish({ type: event.type, deliveryId: event.deliveryId, at: event.at });
        break;
      case 'messages.cleared':
        this.publish({ type: event.type, at: event.at });
        break;
      case 'message.read':
        this.publish({
          type: event.type,
          deliveryId: event.deliveryId,
          at: event.at,
          read: event.read,
        });
        break;
      case 'message.tags':
        this.publish({
          type: event.type,
          deliveryId: event.deliveryId,
          at: event.at,
          tags: event.tags,
        });
        break;
      case 'tags.changed':
      case 'rules.changed':
        this.publish({ type: event.type, at: event.at });
        break;
      case 'intake.changed':
        this.publish({ type: event.type, at: event.at, intake: event.intake });
        break;
    }
  }

  private publish(unnumbered: UnnumberedLiveEvent): void {
    this.lastId += 1;
    const event = { ...unnumbered, id: this.lastId } as LiveEvent;
    this.buffer.push(event);
    if (this.buffer.length > this.capacity) this.buffer.shift();
    for (const subscriber of this.subscribers) subscriber.event(event);
  }
}

type DeliveryStepType = Extract<LiveEvent, { delivery: unknown }>['type'];

/** Returns the live event type of a bus event, or null for events the UI does not get. */
function liveTypeOf(event: CoreEvent): DeliveryStepType | null {
  switch (event.type) {
    case 'delivery.started':
    case 'body.received':
    case 'delivery.committed':
    case 'delivery.aborted':
      return event.type;
    case 'rcpt':
      return event.status === 'rejected' ? 'rcpt.rejected' : 'rcpt.accepted';
    default:
      return null;
  }
}
