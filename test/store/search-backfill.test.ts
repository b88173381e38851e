import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { SearchIndex } from '../../src/store/search-index.js';
import { crlf, deliver, makeTempDir, openHarness, silentLogger, type Harness } from './helpers.js';

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let dbPath: string;
let harness: Harness;

beforeEach(async () => {
  temp = await makeTempDir();
  dbPath = path.join(temp.dir, 'mail.db');
  harness = openHarness({ path: dbPath });
});

afterEach(async () => {
  harness.close();
  await temp.remove();
});

describe('SearchIndex.backfill', () => {
  it('indexes messages missing from the index, past one batch', async () => {
    // More than one batch of 200, with every third message already indexed.
    const count = 450;
    for (let index = 0; index < count; index += 1) {
      await deliver(harness, crlf([`Subject: note ${index} walrus`, '', `body ${index}`]));
    }
    const { db } = harness.store;
    const seqs = db.prepare('SELECT seq FROM deliveries ORDER BY seq').pluck().all() as number[];
    const remove = db.prepare('DELETE FROM message_search WHERE rowid = ?');
    const removed = seqs.filter((_, index) => index % 3 !== 0);
    db.transaction(() => removed.forEach((seq) => remove.run(seq)))();
    expect(harness.store.queries.searchMessages('walrus').total).toBe(count - removed.length);

    const indexed = new SearchIndex(db).backfill(silentLogger);

    expect(indexed).toBe(removed.length);
    expect(harness.store.queries.searchMessages('walrus').total).toBe(count);
    expect(new SearchIndex(db).backfill(silentLogger)).toBe(0);
  });
});
