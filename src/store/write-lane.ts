import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Runs tasks one at a time, in the order they were queued, each starting in a new turn
 * of the event loop. better-sqlite3 writes block the event loop, and one write of a large
 * message takes a noticeable time. The store queues its large writes here, one raw-source
 * chunk of at most 1 MiB per task, so that other sessions are served between any two of
 * them.
 */
export class WriteLane {
  private tail: Promise<unknown> = Promise.resolve();

  /** Queues `task` and settles with its outcome. A failed task does not stop later ones. */
  run<T>(task: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(async () => {
      // Two turns, because a task that ends in the poll phase (after a file read) would
      // have the next one run in the check phase of the same loop iteration, before any
      // new socket data is read.
      await nextTurn();
      await nextTurn();
      return task();
    });
    this.tail = result.catch(() => undefined);
    return result;
  }
}
