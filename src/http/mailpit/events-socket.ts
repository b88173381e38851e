import type { WSContext } from 'hono/ws';

import type { CoreEvent, UserEvent } from '../../delivery/events.js';
import type { MailpitDeps } from './index.js';
import { buildMessageSummary } from './summary.js';
import type { MailpitEvent } from './types.js';

/** Minimum time between two `stats` events, in milliseconds, as in Mailpit. */
const STATS_INTERVAL_MS = 250;

/**
 * Broadcasts Mailpit's websocket events to the clients of /api/events: `new` for each
 * committed delivery, `update` for read state and tags, `delete`, `truncate` when every
 * message is deleted, `prune` when tags are renamed or deleted, and `stats` after each
 * change. Events are only built while a client is connected.
 *
 * NOTE: messages pruned by retention produce no event, so a client learns of them only
 * through the next `stats`.
 */
export class MailpitEventSocket {
  private readonly clients = new Set<WSContext>();
  private statsTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: MailpitDeps) {
    deps.events.subscribe((event) => this.onCoreEvent(event));
    deps.events.subscribeUserEvents((event) => this.onUserEvent(event));
  }

  /** Number of connected clients. */
  get clientCount(): number {
    return this.clients.size;
  }

  add(client: WSContext): void {
    this.clients.add(client);
    this.scheduleStats();
  }

  remove(client: WSContext): void {
    this.clients.delete(client);
  }

  private onCoreEvent(event: CoreEvent): void {
    if (event.type !== 'delivery.committed' || this.clients.size === 0) return;
    const summary = buildMessageSummary(this.deps.store, event.deliveryId);
    if (summary === null) return;
    this.broadcast({ Type: 'new', Data: summary });
    this.scheduleStats();
  }

  private onUserEvent(event: UserEvent): void {
    if (this.clients.size === 0) return;
    switch (event.type) {
      case 'message.read':
        this.broadcast({ Type: 'update', Data: { ID: event.deliveryId, Read: event.read } });
        break;
      case 'message.tags':
        this.broadcast({ Type: 'update', Data: { ID: event.deliveryId, Tags: event.tags } });
        break;
      case 'message.deleted':
        this.broadcast({ Type: 'delete', Data: { ID: event.deliveryId } });
        break;
      case 'messages.cleared':
        this.broadcast({ Type: 'truncate', Data: null });
        break;
      case 'tags.changed':
        this.broadcast({ Type: 'prune', Data: null });
        break;
    }
    this.scheduleStats();
  }

  private scheduleStats(): void {
    if (this.statsTimer !== null) return;
    this.statsTimer = setTimeout(() => {
      this.statsTimer = null;
      if (this.clients.size === 0) return;
      let counts;
      try {
        counts = this.deps.store.queries.counts();
      } catch (error) {
        // The store closes before the last timer when the server shuts down.
        this.deps.logger.warn({ err: error }, 'mailpit websocket stats failed');
        return;
      }
      this.broadcast({
        Type: 'stats',
        Data: { Total: counts.messages, Unread: counts.unread, Version: this.deps.version },
      });
    }, STATS_INTERVAL_MS);
    this.statsTimer.unref();
  }

  private broadcast(event: MailpitEvent): void {
    const frame = JSON.stringify(event);
    for (const client of this.clients) {
      try {
        client.send(frame);
      } catch (error) {
        this.deps.logger.warn({ err: error }, 'mailpit websocket send failed');
        this.clients.delete(client);
      }
    }
  }
}
