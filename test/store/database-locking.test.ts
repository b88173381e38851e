import path from 'node:path';

import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { MemoryBodyBuffer } from '../../src/delivery/body-buffer.js';
import { causeMessage, SmtpError } from '../../src/delivery/smtp-error.js';
import { parseHeader } from '../../src/message/header.js';
import { openDatabase, StoreQueries } from '../../src/store/index.js';
import {
  crlf,
  deliver,
  ERROR_LEVEL,
  makeMeta,
  makeTempDir,
  openHarness,
  type Harness,
} from './helpers.js';

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let dbPath: string;
let harness: Harness;
let reader: Database.Database;

beforeEach(async () => {
  temp = await makeTempDir();
  dbPath = path.join(temp.dir, 'mail.db');
  harness = openHarness({ path: dbPath });
  reader = openDatabase(dbPath);
});

afterEach(async () => {
  reader.close();
  harness.close();
  await temp.remove();
});

const message = (subject: string): Buffer =>
  crlf([`Subject: ${subject}`, '', `body of ${subject}`]);

describe('SqliteTarget', () => {
  describe('with other connections on the same file', () => {
    it('stores beside an open read query', async () => {
      await deliver(harness, message('first'));
      const open = reader.prepare('SELECT id FROM messages').iterate();
      open.next();

      const ids: string[] = [];
      for (let index = 2; index <= 10; index += 1) {
        ids.push(await deliver(harness, message(`message ${index}`)));
      }
      open.return?.();

      expect(new StoreQueries(reader).counts().messages).toBe(10);
      for (const id of ids) {
        expect(harness.store.queries.getDelivery(id)?.state).toBe('committed');
      }
    });

    it('stores parallel deliveries during delete all', async () => {
      // The delete runs on the store's own connection, as the HTTP API's does: the store
      // holds its write transaction across turns, and a second connection in this thread
      // would block the commit it waits for. The reader checks the file afterwards.
      const queries = harness.store.queries;
      const finished = await Promise.all(
        Array.from({ length: 5 }, (_, index) => deliver(harness, message(`before ${index}`))),
      );
      // Deliveries left open at each step: two after MAIL FROM, two after RCPT TO, and two
      // with body() running when the delete comes.
      const open = await Promise.all(
        Array.from({ length: 6 }, async (_, index) => ({
          delivery: await harness.pipeline.start(makeMeta(), 'sender@example.test'),
          raw: message(`open ${index}`),
        })),
      );
      const [afterMail, afterRcpt, inBody] = [open.slice(0, 2), open.slice(2, 4), open.slice(4)];
      for (const { delivery } of [...afterRcpt, ...inBody]) {
        await delivery.addRcpt('receiver@example.test');
      }
      const bodies = inBody.map(({ delivery, raw }) =>
        delivery.body(parseHeader(raw), new MemoryBodyBuffer(raw)),
      );

      const inProgressAtDelete = queries.counts().inProgress;
      const deleted = queries.deleteAll();

      await Promise.all(bodies);
      for (const { delivery } of afterMail) await delivery.addRcpt('receiver@example.test');
      for (const { delivery, raw } of [...afterMail, ...afterRcpt]) {
        await delivery.body(parseHeader(raw), new MemoryBodyBuffer(raw));
      }
      for (const { delivery } of open) await delivery.commit();

      expect(finished).toHaveLength(5);
      expect(inProgressAtDelete).toBe(6);
      expect(deleted).toBe(5);
      harness.close();
      const onFile = new StoreQueries(reader).counts();
      expect(onFile.messages).toBe(6);
      expect(onFile.inProgress).toBe(0);
      const errors = harness.logLines.filter((line) => line.level === ERROR_LEVEL);
      expect(errors).toEqual([]);
    });

    it('rejects with 451 while write-locked', async () => {
      harness.close();
      harness = openHarness({ path: dbPath, busyTimeoutMs: 50 });
      const raw = message('locked out');
      reader.exec('BEGIN IMMEDIATE');

      const delivery = await harness.store.target.start(makeMeta(), 'sender@example.test');
      await delivery.addRcpt('receiver@example.test');
      const failure = await delivery.body(parseHeader(raw), new MemoryBodyBuffer(raw)).then(
        () => null,
        (error: unknown) => error,
      );
      reader.exec('ROLLBACK');

      expect(failure).toBeInstanceOf(SmtpError);
      expect((failure as SmtpError).code).toBe(451);
      expect((failure as SmtpError).enhancedCode).toBe('4.3.0');
      expect(causeMessage(failure)).toBe('database is locked');
      // A retry, which the 451 reply requests, succeeds once the lock is released.
      const id = await deliver(harness, raw);
      expect(harness.store.queries.getRaw(id)?.equals(raw)).toBe(true);
    });
  });
});
