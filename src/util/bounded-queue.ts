/**
 * A first-in first-out queue with one asynchronous worker and a fixed capacity. `push`
 * never waits, so a producer such as an event bus listener is never blocked by a slow
 * worker. An item pushed onto a full queue is dropped and reported through `onDrop`.
 */
export class BoundedQueue<T> {
  private readonly items: T[] = [];
  private running = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private dropped = 0;

  constructor(
    private readonly options: {
      capacity: number;
      worker: (item: T) => Promise<void>;
      /** Called for each dropped item, with the number dropped since the queue was made. */
      onDrop: (item: T, droppedTotal: number) => void;
      /** Called when the worker throws; the queue goes on with the next item. */
      onError: (error: unknown, item: T) => void;
    },
  ) {}

  /** Items waiting, without the one the worker is on. */
  get size(): number {
    return this.items.length;
  }

  /** Adds an item; returns false when it was dropped because the queue is full or closed. */
  push(item: T): boolean {
    if (this.closed) return false;
    if (this.items.length >= this.options.capacity) {
      this.dropped += 1;
      this.options.onDrop(item, this.dropped);
      return false;
    }
    this.items.push(item);
    if (!this.running) {
      this.running = true;
      // The worker starts on a later turn, so push returns before any of its work runs.
      setImmediate(() => void this.drain());
    }
    return true;
  }

  /** Resolves once the queue is empty and the worker has finished its item. */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops accepting items and discards the waiting ones; the current item runs on. */
  close(): void {
    this.closed = true;
    this.items.length = 0;
  }

  private async drain(): Promise<void> {
    for (let item = this.items.shift(); item !== undefined; item = this.items.shift()) {
      try {
        await this.options.worker(item);
      } catch (error) {
        this.options.onError(error, item);
      }
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
