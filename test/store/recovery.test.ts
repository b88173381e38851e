import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { MemoryBodyBuffer } from '../../src/delivery/body-buffer.js';
import { parseHeader } from '../../src/message/header.js';
import { crlf, deliver, makeMeta, makeTempDir, openHarness } from './helpers.js';

const MESSAGE = crlf(['Subject: Survivor', '', 'kept across restarts']);

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let dbPath: string;

beforeEach(async () => {
  temp = await makeTempDir();
  dbPath = path.join(temp.dir, 'mail.db');
});

afterEach(async () => {
  await temp.remove();
});

describe('openStore()', () => {
  describe('crash recovery', () => {
    it('interrupts a staged delivery', async () => {
      const first = openHarness({ path: dbPath });
      const committedId = await deliver(first, MESSAGE);
      const meta = makeMeta();
      const delivery = await first.pipeline.start(meta, 'sender@example.test');
      await delivery.addRcpt('bob@example.test');
      await delivery.body(parseHeader(MESSAGE), new MemoryBodyBuffer(MESSAGE));
      // Closing without commit or abort is what a killed process leaves behind.
      first.close();

      const second = openHarness({ path: dbPath });
      try {
        const interrupted = second.store.queries.getDelivery(meta.id);
        expect(interrupted?.state).toBe('interrupted');
        expect(interrupted?.hasMessage).toBe(false);
        expect(interrupted?.events.at(-1)?.type).toBe('delivery.interrupted');
        const rows = second.store.db
          .prepare('SELECT COUNT(*) AS n FROM messages WHERE id = ?')
          .get(meta.id);
        expect(rows).toEqual({ n: 0 });

        expect(second.store.queries.getDelivery(committedId)?.state).toBe('committed');
        expect(second.store.queries.getRaw(committedId)?.equals(MESSAGE)).toBe(true);
      } finally {
        second.close();
      }
    });

    it('completes a delivery already visible', async () => {
      const first = openHarness({ path: dbPath });
      const meta = makeMeta();
      const delivery = await first.store.target.start(meta, 'sender@example.test');
      await delivery.addRcpt('bob@example.test');
      await delivery.body(parseHeader(MESSAGE), new MemoryBodyBuffer(MESSAGE));
      // Committing on the target alone leaves out the pipeline's delivery.committed event,
      // as when the process stops between the two.
      await delivery.commit();
      first.close();

      const second = openHarness({ path: dbPath });
      try {
        const detail = second.store.queries.getDelivery(meta.id);
        expect(detail?.state).toBe('committed');
        expect(detail?.events.at(-1)?.type).toBe('delivery.recovered');
        expect(second.store.queries.getMessage(meta.id)?.subject).toBe('Survivor');
      } finally {
        second.close();
      }
    });

    it('closes sessions that were left open', async () => {
      const first = openHarness({ path: dbPath, now: () => 5000 });
      first.bus.emit({
        type: 'session.opened',
        sessionId: 'open-session',
        at: 1000,
        remoteAddress: '127.0.0.1',
        remotePort: 1,
        localAddress: '127.0.0.1',
        localPort: 2,
      });
      first.close();

      const second = openHarness({ path: dbPath, now: () => 9000 });
      try {
        const row = second.store.db
          .prepare('SELECT closed_at FROM sessions WHERE id = ?')
          .get('open-session');
        expect(row).toEqual({ closed_at: 9000 });
      } finally {
        second.close();
      }
    });
  });
});
