import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';

import type { EventBus } from '../delivery/events.js';
import { openDatabase } from './db.js';
import { StoreQueries } from './queries.js';
import { recoverAfterCrash } from './recovery.js';
import { RetentionPruner, resolveRetention, type RetentionPolicy } from './retention.js';
import { SearchIndex } from './search-index.js';
import { SqliteTarget } from './sqlite-target.js';
import { TraceWriter } from './trace-writer.js';
import { TurnTransaction } from './turn-transaction.js';

export type * from './query-types.js';
export { openDatabase } from './db.js';
export type { RetentionPolicy } from './retention.js';
export { DEFAULT_RETENTION } from './retention.js';
export { StoreQueries } from './queries.js';
export { TagNameError } from './tags.js';
export { SqliteTarget } from './sqlite-target.js';
export { TraceWriter } from './trace-writer.js';

/** How often retention runs besides at each commit, in milliseconds. */
const PRUNE_INTERVAL_MS = 60_000;

export interface StoreOptions {
  /** Database file, or `:memory:` for a throwaway store. */
  path: string;
  logger: Logger;
  /** Limits for pruning. A missing value takes its default from DEFAULT_RETENTION. */
  retention?: Partial<RetentionPolicy>;
  /** Time a statement waits for another connection's lock, in milliseconds (default 5000). */
  busyTimeoutMs?: number;
  /** Clock in milliseconds since the epoch, replaceable so that tests control time. */
  now?: () => number;
  /** See SqliteTargetOptions.durableCommit; true by default. */
  durableCommit?: boolean;
}

/** An open store: the delivery target, the trace writer's subscription and the queries. */
export interface Store {
  /** The path the store was opened with. */
  path: string;
  db: Database;
  target: SqliteTarget;
  queries: StoreQueries;
  /**
   * Applies the retention policy now and returns the number of deliveries deleted. Commits
   * prune too; this also catches messages that aged out while no mail arrived.
   */
  prune(): number;
  /** Subscribes the trace writer to `bus` and returns the function that unsubscribes it. */
  attach(bus: EventBus): () => void;
  /** Resolves once every write so far is committed to the file; see TurnTransaction. */
  durable(): Promise<void>;
  /** Unsubscribes from every bus and closes the database. Safe to call twice. */
  close(): void;
}

/**
 * Opens the store at `options.path`: applies pending migrations, recovers from a previous
 * process that stopped mid-delivery, and returns the target and queries. Throws if the
 * database cannot be opened or migrated.
 */
export function openStore(options: StoreOptions): Store {
  const retention = resolveRetention(options.retention);
  const now = options.now ?? Date.now;
  const { logger } = options;
  const db = openDatabase(options.path, { busyTimeoutMs: options.busyTimeoutMs });

  try {
    const recovery = recoverAfterCrash(db, now());
    if (recovery.interrupted.length > 0 || recovery.completed.length > 0) {
      logger.warn(
        {
          interrupted: recovery.interrupted,
          completed: recovery.completed,
          removedStagedMessages: recovery.removedStagedMessages,
        },
        'recovered deliveries left open by a previous run',
      );
    }
    const indexed = new SearchIndex(db).backfill(logger);
    if (indexed > 0) logger.info({ indexed }, 'indexed stored messages for search');
  } catch (error) {
    db.close();
    throw error;
  }

  const target = new SqliteTarget({
    db,
    logger,
    retention,
    now,
    durableCommit: options.durableCommit,
  });
  const writer = new TraceWriter(db, logger);
  const queries = new StoreQueries(db);
  const detachers = new Set<() => void>();
  const pruner = new RetentionPruner(db, retention);
  const prune = (): number => db.transaction(() => pruner.prune(now()))();
  const turn = TurnTransaction.of(db);
  turn.onCommitError = (error) => logger.error({ err: error }, 'committing the writes failed');
  // NOTE: rows pruned here produce no live event, so an open UI shows them until it
  // reloads its list.
  const pruneTimer = setInterval(() => {
    try {
      const deleted = prune();
      if (deleted > 0) logger.info({ deleted }, 'pruned deliveries by retention');
    } catch (error) {
      logger.error({ err: error }, 'retention pruning failed');
    }
  }, PRUNE_INTERVAL_MS);
  pruneTimer.unref();

  logger.info({ path: options.path, retention }, 'store opened');
  return {
    path: options.path,
    db,
    target,
    queries,
    prune,
    attach(bus) {
      const unsubscribe = writer.attach(bus);
      const detach = (): void => {
        unsubscribe();
        detachers.delete(detach);
      };
      detachers.add(detach);
      return detach;
    },
    durable: () => turn.durable(),
    close() {
      clearInterval(pruneTimer);
      for (const detach of [...detachers]) detach();
      if (!db.open) return;
      turn.commit();
      db.pragma('optimize');
      db.close();
      logger.info({ path: options.path }, 'store closed');
    },
  };
}
