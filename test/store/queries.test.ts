import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { abortReason } from '../../src/delivery/abort-reason.js';
import { MemoryBodyBuffer } from '../../src/delivery/body-buffer.js';
import { parseHeader } from '../../src/message/header.js';
import { crlf, deliver, makeMeta, makeTempDir, openHarness, type Harness } from './helpers.js';

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let harness: Harness;

beforeEach(async () => {
  temp = await makeTempDir();
  harness = openHarness({ path: path.join(temp.dir, 'mail.db') });
});

afterEach(async () => {
  harness.close();
  await temp.remove();
});

const message = (subject: string): Buffer => crlf([`Subject: ${subject}`, '', 'body']);

/** Starts a delivery and stages its message without committing it. */
async function stageOnly(subject: string): Promise<string> {
  const meta = makeMeta();
  const delivery = await harness.pipeline.start(meta, 'sender@example.test');
  await delivery.addRcpt('bob@example.test');
  const raw = message(subject);
  await delivery.body(parseHeader(raw), new MemoryBodyBuffer(raw));
  return meta.id;
}

describe('StoreQueries', () => {
  describe('listDeliveries()', () => {
    it('lists every state, newest first', async () => {
      const committed = await deliver(harness, message('kept'));
      const meta = makeMeta();
      const aborted = await harness.pipeline.start(meta, 'sender@example.test');
      await aborted.abort(abortReason('client-reset', 'RSET'));
      const staged = await stageOnly('staged');

      const list = harness.store.queries.listDeliveries();
      expect(list.map((item) => [item.id, item.state, item.subject])).toEqual([
        [staged, 'in-progress', null],
        [meta.id, 'aborted', null],
        [committed, 'committed', 'kept'],
      ]);
      expect(harness.store.queries.listDeliveries({ limit: 1, offset: 1 })[0]?.id).toBe(meta.id);
    });
  });

  describe('deleteAll()', () => {
    it('keeps deliveries in progress', async () => {
      await deliver(harness, message('one'));
      await deliver(harness, message('two'));
      const staged = await stageOnly('open');

      expect(harness.store.queries.deleteAll()).toBe(2);
      expect(harness.store.queries.listDeliveries().map((item) => item.id)).toEqual([staged]);
      const rows = harness.store.db.prepare('SELECT COUNT(*) AS n FROM headers').get();
      expect(rows).toEqual({ n: 1 });
    });
  });

  describe('deleteMessage()', () => {
    it('deletes the message with its delivery', async () => {
      const id = await deliver(harness, message('doomed'));

      expect(harness.store.queries.deleteMessage(id)).toBe(true);
      expect(harness.store.queries.getDelivery(id)).toBeNull();
      expect(harness.store.queries.deleteMessage(id)).toBe(false);
    });

    it('leaves a staged message alone', async () => {
      const id = await stageOnly('open');

      expect(harness.store.queries.deleteMessage(id)).toBe(false);
      expect(harness.store.queries.getDelivery(id)?.state).toBe('in-progress');
    });
  });

  describe('setRead() and counts()', () => {
    it('counts visible and unread messages', async () => {
      const first = await deliver(harness, message('one'));
      await deliver(harness, message('two'));
      await stageOnly('open');

      expect(harness.store.queries.setRead(first, true)).toBe(true);
      expect(harness.store.queries.getMessage(first)?.read).toBe(true);
      expect(harness.store.queries.counts()).toEqual({
        messages: 2,
        unread: 1,
        deliveries: 3,
        inProgress: 1,
      });
    });

    it('ignores a staged message', async () => {
      const id = await stageOnly('open');

      expect(harness.store.queries.setRead(id, true)).toBe(false);
    });
  });
});
