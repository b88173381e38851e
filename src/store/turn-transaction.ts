import type { Database } from 'better-sqlite3';

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Maximum time the shared transaction stays open when no caller awaits its commit, in
 * milliseconds. A crash loses such writes (trace steps, transcript lines) of at most this
 * window, and the crash recovery then marks the delivery from what was committed.
 */
export const COMMIT_DELAY_MS = 20;

/**
 * Maximum time an awaited commit is held back for other deliveries that are about to
 * request theirs, in milliseconds, counted from the start of the transaction. See
 * `addHold`. It cannot exceed COMMIT_DELAY_MS, whose timer commits regardless. With
 * 20 sessions, raising it from 10 to 20 ms cut the CPU per message by about 7%.
 */
export const MAX_HOLD_MS = COMMIT_DELAY_MS;

/**
 * Groups the store's writes into shared SQLite transactions.
 *
 * Each SQLite commit appends every page it changed to the WAL, so a delivery written in
 * ten small transactions (session, trace steps, message, parts, raw source, publish) cost
 * more in commits than in the statements themselves. A writer calls `enter()` before it
 * writes: the first call begins a transaction, and later writes join it. A caller that
 * awaits `durable()` gets the commit in the check phase of the same loop iteration, so the
 * other writes of that iteration go with it. Without such a caller, the commit runs after
 * COMMIT_DELAY_MS. While a hold (`addHold`) reports that other deliveries are about to
 * request a commit too, the commit waits for them, up to MAX_HOLD_MS, so that parallel
 * sessions share one commit. Writers that
 * group their own statements with `db.transaction()` still do, as savepoints inside it.
 *
 * A write is durable only after that commit. Code that is about to acknowledge a write to
 * a client (the 250 reply to DATA, an API response) awaits `durable()` first.
 */
export class TurnTransaction {
  private waiters: Waiter[] = [];
  /** True while a transaction that this object began is open. */
  private open = false;
  private openedAt = 0;
  /** Number of shared transactions begun; the open one, if any, has this number. */
  private begun = 0;
  /** Number of the last shared transaction whose commit failed, or 0. */
  private lastFailed = 0;
  private delayed: NodeJS.Timeout | null = null;
  /** Cancels the commit requested through durable(), or null when none is. */
  private cancelRequested: (() => void) | null = null;
  private readonly holds = new Set<() => boolean>();
  /**
   * Called with the error when a commit fails. The failed transaction's writes are rolled
   * back. Callers of durable() get the error too, but no caller awaits trace writes.
   */
  onCommitError: ((error: unknown) => void) | null = null;

  private constructor(private readonly db: Database) {}

  private static readonly byDatabase = new WeakMap<Database, TurnTransaction>();

  /** Returns the one TurnTransaction of `db`, so every writer on a connection shares it. */
  static of(db: Database): TurnTransaction {
    let shared = TurnTransaction.byDatabase.get(db);
    if (shared === undefined) {
      shared = new TurnTransaction(db);
      TurnTransaction.byDatabase.set(db, shared);
    }
    return shared;
  }

  /**
   * Makes sure the following writes run in a transaction: begins the shared one unless a
   * transaction is open already. A transaction someone else began (a caller's own
   * `BEGIN`, or a `db.transaction()` that is running) is joined and left to its owner.
   */
  enter(): void {
    if (this.db.inTransaction) return;
    // IMMEDIATE takes the write lock now, so a lock held by another connection shows up
    // here, within the busy timeout, and not at the commit.
    this.db.exec('BEGIN IMMEDIATE');
    this.begun += 1;
    this.open = true;
    this.openedAt = Date.now();
    this.delayed = setTimeout(() => this.commit(), COMMIT_DELAY_MS);
  }

  /**
   * Returns a mark for `failedSince`: the number of the shared transaction that the next
   * write joins or begins.
   */
  mark(): number {
    return this.open ? this.begun : this.begun + 1;
  }

  /**
   * Returns true when a shared transaction from `mark` on failed to commit. Its writes are
   * gone, even those that no caller awaited, such as a chunk of a message staged earlier.
   */
  failedSince(mark: number): boolean {
    return this.lastFailed >= mark;
  }

  /**
   * Adds a test that returns true while a commit someone awaits should wait, because more
   * writes that will be awaited are on their way. Returns the function that removes it.
   */
  addHold(hold: () => boolean): () => void {
    this.holds.add(hold);
    return () => this.holds.delete(hold);
  }

  /**
   * Resolves once every write made before this call is committed; rejects when that
   * commit fails, so that nothing is acknowledged that may be lost.
   */
  durable(): Promise<void> {
    if (!this.open) return Promise.resolve();
    this.requestCommit();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private requestCommit(): void {
    if (this.cancelRequested !== null) return;
    const holding = [...this.holds].some((hold) => hold());
    if (holding && Date.now() - this.openedAt < MAX_HOLD_MS) {
      const timer = setTimeout(() => {
        this.cancelRequested = null;
        this.requestCommit();
      }, 1);
      this.cancelRequested = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(() => {
        this.cancelRequested = null;
        this.commit();
      });
      this.cancelRequested = () => clearImmediate(immediate);
    }
  }

  /**
   * Commits the shared transaction now, if one is open. The store calls it before it
   * closes the database; the scheduled commit then finds nothing to do.
   */
  commit(): void {
    if (this.delayed !== null) clearTimeout(this.delayed);
    this.cancelRequested?.();
    this.delayed = null;
    this.cancelRequested = null;
    if (!this.open) return;
    this.open = false;
    const waiters = this.waiters;
    this.waiters = [];
    try {
      // A statement that failed inside the transaction can make SQLite roll it back.
      if (!this.db.inTransaction) {
        throw new Error('The shared transaction was rolled back before its commit');
      }
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.lastFailed = this.begun;
      this.onCommitError?.(error);
      for (const waiter of waiters) waiter.reject(error);
      return;
    }
    for (const waiter of waiters) waiter.resolve();
  }
}
