/**
 * Fills a Mailscope data folder with generated messages through the core's own import
 * path (pipeline, SQLite target and trace writer), so the rows are those that SMTP
 * deliveries produce, without the SMTP round trips. Usage: fill-store.ts DATA_DIR COUNT.
 *
 * It groups every 500 imports in one SQLite transaction; the store's own transactions
 * nest in it as savepoints. That changes how often the WAL is written, not what is stored.
 */
import { parseCli } from '../src/config.js';
import { startCore } from '../src/core.js';
import { createLogger } from '../src/log.js';
import { generatedMessage } from './messages.js';

const BATCH = 500;

async function main(): Promise<void> {
  const [dataDir, countText] = process.argv.slice(2);
  const count = Number(countText);
  if (dataDir === undefined || !Number.isInteger(count) || count < 1) {
    throw new Error('usage: fill-store.ts DATA_DIR COUNT');
  }
  const request = parseCli(
    [
      ...['--smtp', '127.0.0.1:0', '--http', '127.0.0.1:0', '--no-starttls'],
      ...['--data-dir', dataDir, '--max-messages', '1000000'],
    ],
    {},
  );
  if (request.kind !== 'run') throw new Error(`unexpected CLI request ${request.kind}`);

  const core = await startCore(request.config, createLogger({ level: 'warn' }));
  const { db } = core.store;
  const started = performance.now();
  let rawBytes = 0;
  try {
    for (let first = 0; first < count; first += BATCH) {
      db.exec('BEGIN');
      try {
        for (let index = first; index < Math.min(count, first + BATCH); index += 1) {
          // The generated message is dot-stuffed for SMTP; no line of it starts with a dot.
          const bytes = generatedMessage(index, 1800).data;
          rawBytes += bytes.length;
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

  const elapsedMs = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ messages: count, rawBytes, elapsedMs })}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`fill-store failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
