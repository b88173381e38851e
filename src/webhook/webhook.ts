import type { EventBus } from '../delivery/events.js';
import type { Logger } from '../log.js';
import { BoundedQueue } from '../util/bounded-queue.js';

/** Settings of the webhook that announces each committed message. */
export interface WebhookOptions {
  url: string;
  /** Most requests started per second; 0 removes the limit. */
  ratePerSecond: number;
  /** Time one request may take before it is aborted, in milliseconds. */
  timeoutMs: number;
  /** Requests per message, the first one included, before the message is given up. */
  maxAttempts: number;
  /** Wait before the first retry, in milliseconds; each further retry waits twice as long. */
  backoffMs: number;
  /** Messages waiting to be posted before new ones are dropped. */
  capacity: number;
}

export const DEFAULT_WEBHOOK_OPTIONS: Omit<WebhookOptions, 'url'> = {
  ratePerSecond: 1,
  timeoutMs: 5000,
  maxAttempts: 3,
  backoffMs: 1000,
  capacity: 1000,
};

/**
 * POSTs a JSON summary of each committed message to a URL. It subscribes to the event
 * bus and only queues the message id there, so a slow or failing receiver never delays an
 * SMTP reply or the bus. One request runs at a time, no faster than `ratePerSecond`. A
 * request that fails (a network error, a timeout or a status other than 2xx) is retried
 * with exponential backoff up to `maxAttempts`, and then the failure is logged and the
 * message is given up. The summary is built when its request is made, so a message deleted
 * in the meantime is skipped.
 */
export class WebhookSender {
  private readonly queue: BoundedQueue<string>;
  private readonly unsubscribe: () => void;
  private readonly stopping = new AbortController();
  private lastStart = 0;

  constructor(
    private readonly options: WebhookOptions & {
      bus: EventBus;
      /** Builds the JSON body for message `id`; null when the message no longer exists. */
      buildPayload: (id: string) => unknown;
      logger: Logger;
      userAgent: string;
    },
  ) {
    const { logger } = options;
    this.queue = new BoundedQueue<string>({
      capacity: options.capacity,
      worker: (id) => this.post(id),
      onDrop: (id, droppedTotal) =>
        logger.warn(
          { messageId: id, droppedTotal, capacity: options.capacity },
          'webhook queue full; message not posted',
        ),
      onError: (error, id) => logger.error({ err: error, messageId: id }, 'webhook failed'),
    });
    this.unsubscribe = options.bus.subscribe((event) => {
      if (event.type === 'delivery.committed') this.queue.push(event.deliveryId);
    });
  }

  /** Resolves once every queued message has been posted or given up. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Unsubscribes, discards the queue and aborts the request and wait in progress. */
  close(): void {
    this.unsubscribe();
    this.queue.close();
    this.stopping.abort();
  }

  private async post(id: string): Promise<void> {
    const { logger, maxAttempts, backoffMs } = this.options;
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      if (this.stopping.signal.aborted) return;
      await this.waitForRateLimit();
      const payload = this.options.buildPayload(id);
      if (payload === null) {
        logger.debug({ messageId: id }, 'webhook skipped: the message was deleted');
        return;
      }

      const failure = await this.send(payload);
      if (failure === null) {
        logger.debug({ messageId: id, attempt }, 'webhook posted');
        return;
      }
      if (attempt === maxAttempts) {
        logger.error(
          { messageId: id, url: this.options.url, attempts: attempt, error: failure },
          'webhook failed; giving up on this message',
        );
        return;
      }
      const delayMs = backoffMs * 2 ** (attempt - 1);
      logger.warn(
        { messageId: id, url: this.options.url, attempt, retryInMs: delayMs, error: failure },
        'webhook failed; retrying',
      );
      await this.sleep(delayMs);
    }
  }

  /** Sends one request; returns null on a 2xx status, else a sentence saying what failed. */
  private async send(payload: unknown): Promise<string | null> {
    const signal = AbortSignal.any([
      this.stopping.signal,
      AbortSignal.timeout(this.options.timeoutMs),
    ]);
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': this.options.userAgent },
        body: JSON.stringify(payload),
        signal,
        redirect: 'error',
      });
      // Reads the body so that the connection can be reused, within the same timeout.
      await response.arrayBuffer();
      return response.ok ? null : `the receiver returned HTTP ${response.status}`;
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') {
        return `no response within ${this.options.timeoutMs} ms`;
      }
      return `request failed: ${(error as Error).message}`;
    }
  }

  private async waitForRateLimit(): Promise<void> {
    const rate = this.options.ratePerSecond;
    if (rate > 0) {
      const waitMs = this.lastStart + 1000 / rate - Date.now();
      if (waitMs > 0) await this.sleep(waitMs);
    }
    this.lastStart = Date.now();
  }

  /** Waits `ms` milliseconds, or less when the sender is closed. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const signal = this.stopping.signal;
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
