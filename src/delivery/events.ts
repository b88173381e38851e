import { EventEmitter } from 'node:events';

import type { AbortReason } from './abort-reason.js';
import type { IntakeState } from '../rules/types.js';
import type { RuleRef } from './rule-hooks.js';
import type { MsgMetadata, SmtpReply } from './types.js';

/** Outcome of one RCPT TO. */
export type RcptStatus = 'accepted' | 'rejected' | 'duplicate';

/**
 * One step of a delivery. The store keeps every step as the delivery's trace, and the
 * HTTP server forwards them as live events. `at` is milliseconds since the epoch.
 */
export type DeliveryEvent =
  | {
      type: 'delivery.started';
      deliveryId: string;
      at: number;
      meta: MsgMetadata;
      mailFrom: string;
    }
  | {
      type: 'rcpt';
      deliveryId: string;
      at: number;
      /** Address as the client sent it. */
      original: string;
      /** Address after cleaning, as the targets received it. */
      address: string;
      status: RcptStatus;
      /** Reply sent for this RCPT TO. */
      reply: SmtpReply;
      /** The failure rule that chose the reply, if one did. */
      rule?: RuleRef;
    }
  | { type: 'body.received'; deliveryId: string; at: number; size: number; warnings: string[] }
  | {
      type: 'body.failed';
      deliveryId: string;
      at: number;
      reply: SmtpReply;
      /** Message of the failure behind the reply, such as "database is locked". */
      error: string;
      /** The failure rule that chose the reply, if one did. */
      rule?: RuleRef;
    }
  | { type: 'delivery.committed'; deliveryId: string; at: number; reply: SmtpReply }
  | { type: 'delivery.aborted'; deliveryId: string; at: number; reason: AbortReason };

/** Lines of one SMTP session, reported in batches while the session runs. */
export interface TranscriptLine {
  at: number;
  /** `C` for what the client sent, `S` for the server's replies, `I` for notes. */
  direction: 'C' | 'S' | 'I';
  text: string;
}

/** Events about SMTP sessions, which span zero or more deliveries. */
export type SessionEvent =
  | {
      type: 'session.opened';
      sessionId: string;
      at: number;
      remoteAddress: string;
      remotePort: number;
      localAddress: string;
      localPort: number;
    }
  | { type: 'session.transcript'; sessionId: string; lines: TranscriptLine[] }
  | { type: 'session.closed'; sessionId: string; at: number };

export type CoreEvent = DeliveryEvent | SessionEvent;

/**
 * Changes a user made to stored messages through the API. They travel apart from
 * CoreEvent, because they are not steps of a delivery and the trace must not record them.
 */
export type UserEvent =
  | { type: 'message.deleted'; deliveryId: string; at: number }
  | { type: 'messages.cleared'; at: number; deleted: number }
  | { type: 'message.read'; deliveryId: string; at: number; read: boolean }
  /** The tags of one message changed; `tags` is the new sorted list. */
  | { type: 'message.tags'; deliveryId: string; at: number; tags: string[] }
  /** A tag was renamed or deleted on every message that had it. */
  | { type: 'tags.changed'; at: number }
  /** A failure rule was added, changed, switched, reset or removed. */
  | { type: 'rules.changed'; at: number }
  /** The intake was paused or resumed. */
  | { type: 'intake.changed'; at: number; intake: IntakeState };

/**
 * The in-process event bus. Listeners run synchronously in the order they subscribed,
 * so the store records a step before any later subscriber (such as the live event
 * stream) receives it. A listener that throws is reported through `onListenerError` and
 * never interrupts the delivery that emitted the event.
 *
 * User events have their own listeners (`subscribeUserEvents`), with the same rules.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor(
    private readonly onListenerError: (error: unknown, event: CoreEvent | UserEvent) => void,
  ) {
    this.emitter.setMaxListeners(0);
  }

  emit(event: CoreEvent): void {
    this.dispatch('event', event);
  }

  /** Subscribes to every event; returns the function that unsubscribes. */
  subscribe(listener: (event: CoreEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  emitUserEvent(event: UserEvent): void {
    this.dispatch('user', event);
  }

  /** Subscribes to every user event; returns the function that unsubscribes. */
  subscribeUserEvents(listener: (event: UserEvent) => void): () => void {
    this.emitter.on('user', listener);
    return () => this.emitter.off('user', listener);
  }

  private dispatch<E extends CoreEvent | UserEvent>(channel: 'event' | 'user', event: E): void {
    for (const listener of this.emitter.listeners(channel) as Array<(e: E) => void>) {
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }
}
