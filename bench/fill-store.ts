/**
 * Fills a Mailscope data folder with COUNT generated messages. Usage:
 * fill-store.ts DATA_DIR COUNT [DISTINCT].
 *
 * 1. DISTINCT messages (5,000 by default) go through the core's own import path
 *    (pipeline, SQLite target and trace writer), so their rows are those that SMTP
 *    deliveries produce, without the SMTP round trips. Every 500 imports share one SQLite
 *    transaction, in which the store's own transactions nest as savepoints. That changes
 *    how often the WAL is written, not what is stored.
 * 2. bench/store-copy.ts copies them with SQL until the store contains COUNT, with new ids
 *    and with start times 10 s apart in `seq` order.
 * 3. SearchIndex.index, which the commit of every delivery calls, writes the copies'
 *    search rows, and ANALYZE gives the query planner the statistics of the filled store.
 *    Then the store opens and closes once, so that its start finds anything that the
 *    copies still lack, such as search rows if the index changes.
 *
 * With DISTINCT a multiple of 500, one message in 100 contains the rare word and each of
 * the 500 senders sends the same share, as in DISTINCT generated messages.
 */
import { parseCli, type Config } from '../src/config.js';
import { startCore } from '../src/core.js';
import { createLogger, type Logger } from '../src/log.js';
import { openDatabase } from '../src/store/db.js';
import { openStore } from '../src/store/index.js';
import { SearchIndex } from '../src/store/search-index.js';
import { generatedMessage } from './messages.js';
import type { ScaleFill } from './scale.js';
import { copyDeliveries } from './store-copy.js';

const BATCH = 500;
const DEFAULT_DISTINCT = 5000;
/** Time between the starts of two consecutive deliveries in the filled store. */
const INTERVAL_MS = 10_000;

async function main(): Promise<void> {
  const [dataDir, countText, distinctText] = process.argv.slice(2);
  const count = Number(countText);
  const distinct = Number(distinctText ?? DEFAULT_DISTINCT);
  if (
    dataDir === undefined ||
    !Number.isInteger(count) ||
    count < 1 ||
    !Number.isInteger(distinct) ||
    distinct < 1
  ) {
    throw new Error('usage: fill-store.ts DATA_DIR COUNT [DISTINCT]');
  }
  const request = parseCli(
    [
      ...['--smtp', '127.0.0.1:0', '--http', '127.0.0.1:0', '--no-starttls'],
      ...['--data-dir', dataDir, '--max-messages', '1000000'],
    ],
    {},
  );
  if (request.kind !== 'run') throw new Error(`unexpected CLI request ${request.kind}`);
  const { config } = request;
  const logger = createLogger({ level: 'warn' });

  const started = performance.now();
  const imported = Math.min(count, distinct);
  const sizes = await importGenerated(config, logger, imported);
  const importMs = performance.now() - started;

  let copyIds: string[] = [];
  if (count > imported) {
    const db = openDatabase(config.dbPath);
    try {
      const copy = copyDeliveries(db, {
        total: count,
        intervalMs: INTERVAL_MS,
        lastStartedAt: Date.now(),
      });
      copyIds = copy.copyIds;
    } finally {
      db.close();
    }
  }
  const copyMs = performance.now() - started - importMs;

  indexCopies(config.dbPath, copyIds);
  // The store's start indexes whatever the calls above left without a search row, and
  // does any other work that a store needs after its messages changed outside the core.
  openStore({ path: config.dbPath, logger }).close();
  const elapsedMs = performance.now() - started;
  let rawBytes = 0;
  for (let index = 0; index < count; index += 1) rawBytes += sizes[index % imported] ?? 0;
  const output: ScaleFill = {
    messages: count,
    imported,
    rawBytes,
    elapsedMs,
    importMs,
    copyMs,
    indexMs: elapsedMs - importMs - copyMs,
  };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

/**
 * Writes the search rows of the copied messages with SearchIndex.index, which the commit
 * of every delivery calls, then runs ANALYZE. The store's own backfill at start would
 * index them too, but it looks for the messages without a search row by reading every
 * search row again for each batch of 200, which takes minutes at 100,000 messages.
 */
function indexCopies(dbPath: string, ids: string[]): void {
  const db = openDatabase(dbPath);
  try {
    const index = new SearchIndex(db);
    for (let first = 0; first < ids.length; first += BATCH) {
      db.transaction(() => {
        for (const id of ids.slice(first, first + BATCH)) index.index(id);
      })();
    }
    // The planner's statistics still describe the originals. A store that grew this large
    // would have had them refreshed by the PRAGMA optimize that the store runs at close.
    if (ids.length > 0) db.exec('ANALYZE');
  } finally {
    db.close();
  }
}

/** Imports generated messages 0 to `count - 1` through the core; returns their sizes. */
async function importGenerated(config: Config, logger: Logger, count: number): Promise<number[]> {
  const core = await startCore(config, logger);
  const { db } = core.store;
  const sizes: number[] = [];
  try {
    for (let first = 0; first < count; first += BATCH) {
      db.exec('BEGIN');
      try {
        for (let index = first; index < Math.min(count, first + BATCH); index += 1) {
          // The generated message is dot-stuffed for SMTP; no line of it starts with a dot.
          const bytes = generatedMessage(index, 1800).data;
          sizes.push(bytes.length);
          await core.importMessage(bytes, { source: `generated message ${index}` });
        }
        db.exec('COMMIT');
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    }
  } finally {
    await core.close();
  }
  return sizes;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`fill-store failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
