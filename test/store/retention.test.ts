import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { abortReason } from '../../src/delivery/abort-reason.js';
import { resolveRetention } from '../../src/store/retention.js';
import { crlf, deliver, makeMeta, makeTempDir, openHarness, type Harness } from './helpers.js';

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let clock: number;
let harness: Harness | null;

beforeEach(async () => {
  temp = await makeTempDir();
  clock = 1_000_000;
  harness = null;
});

afterEach(async () => {
  harness?.close();
  await temp.remove();
});

function open(retention: { maxMessages?: number; maxAgeMs?: number | null }): Harness {
  harness = openHarness({ path: path.join(temp.dir, 'mail.db'), retention, now: () => clock });
  return harness;
}

async function send(target: Harness, subject: string): Promise<string> {
  clock += 1000;
  return deliver(target, crlf([`Subject: ${subject}`, '', 'body']), {
    meta: { startedAt: clock },
  });
}

describe('RetentionPruner', () => {
  it('prunes the oldest messages past maxMessages', async () => {
    const store = open({ maxMessages: 3 });
    const ids: string[] = [];
    for (const subject of ['one', 'two', 'three', 'four', 'five']) {
      ids.push(await send(store, subject));
    }

    const subjects = store.store.queries.listMessages().map((message) => message.subject);
    expect(subjects).toEqual(['five', 'four', 'three']);
    expect(store.store.queries.getDelivery(ids[0] as string)).toBeNull();
    expect(store.store.queries.getDelivery(ids[1] as string)).toBeNull();
    const orphans = store.store.db.prepare('SELECT COUNT(*) AS n FROM parts').get();
    expect(orphans).toEqual({ n: 3 });
  });

  it('prunes messages older than maxAgeMs', async () => {
    const store = open({ maxMessages: 100, maxAgeMs: 10_000 });
    const old = await send(store, 'old');
    clock += 60_000;
    await send(store, 'new');

    expect(store.store.queries.getDelivery(old)).toBeNull();
    expect(store.store.queries.listMessages().map((message) => message.subject)).toEqual(['new']);
  });

  it('prunes aged messages through Store.prune() with no new mail', async () => {
    const store = open({ maxMessages: 100, maxAgeMs: 10_000 });
    const old = await send(store, 'old');
    clock += 60_000;

    expect(store.store.prune()).toBe(1);
    expect(store.store.queries.getDelivery(old)).toBeNull();
    expect(store.store.queries.listMessages()).toEqual([]);
  });

  it('limits aborted deliveries through Store.prune() with no commit', async () => {
    const store = open({ maxMessages: 1 });
    for (let index = 0; index < 3; index += 1) {
      const delivery = await store.pipeline.start(makeMeta(), 'sender@example.test');
      await delivery.abort(abortReason('client-reset', 'RSET'));
    }

    expect(store.store.prune()).toBe(2);
    expect(store.store.queries.listDeliveries()).toHaveLength(1);
  });

  it('limits aborted deliveries by count', async () => {
    const store = open({ maxMessages: 2 });
    const aborted: string[] = [];
    for (let index = 0; index < 4; index += 1) {
      const meta = makeMeta();
      const delivery = await store.pipeline.start(meta, 'sender@example.test');
      await delivery.abort(abortReason('client-reset', 'RSET'));
      aborted.push(meta.id);
    }
    await send(store, 'trigger');

    const remaining = store.store.queries
      .listDeliveries()
      .filter((delivery) => delivery.state === 'aborted')
      .map((delivery) => delivery.id);
    expect(remaining).toEqual([aborted[3], aborted[2]]);
  });

  it('rejects a maxMessages below 1', () => {
    expect(() => resolveRetention({ maxMessages: 0 })).toThrow(/maxMessages/);
  });
});
