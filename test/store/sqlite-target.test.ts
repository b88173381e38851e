import path from 'node:path';
import { Readable } from 'node:stream';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { abortReason } from '../../src/delivery/abort-reason.js';
import { MemoryBodyBuffer, type BodyBuffer } from '../../src/delivery/body-buffer.js';
import { parseHeader } from '../../src/message/header.js';
import { openDatabase, StoreQueries } from '../../src/store/index.js';
import { TurnTransaction } from '../../src/store/turn-transaction.js';
import { crlf, deliver, makeMeta, makeTempDir, openHarness, type Harness } from './helpers.js';

const MESSAGE = crlf([
  'From: Alice <alice@example.test>',
  'To: Bob <bob@example.test>',
  'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=',
  'X-Custom:  spaced  value',
  'Date: Fri, 05 Jan 2024 10:00:00 +0000',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b"',
  '',
  '--b',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Hello Bob,',
  '..a line that was dot-stuffed',
  '--b',
  'Content-Type: application/pdf; name="report.pdf"',
  'Content-Disposition: attachment; filename="report.pdf"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('%PDF-1.4 bytes').toString('base64'),
  '--b--',
]);

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

describe('SqliteTarget', () => {
  describe('commit()', () => {
    it('stores the raw bytes exactly', async () => {
      const id = await deliver(harness, MESSAGE);

      const raw = harness.store.queries.getRaw(id);
      expect(Buffer.isBuffer(raw)).toBe(true);
      expect(raw?.equals(MESSAGE)).toBe(true);
    });

    it('stores header fields in order', async () => {
      const id = await deliver(harness, MESSAGE);

      const headers = harness.store.queries.listHeaders(id);
      expect(headers.map((field) => field.name)).toEqual([
        'From',
        'To',
        'Subject',
        'X-Custom',
        'Date',
        'MIME-Version',
        'Content-Type',
      ]);
      expect(headers[2]?.value).toBe('Grüße');
      expect(headers[2]?.rawValue).toBe('=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=');
    });

    it('stores the summary and the parts', async () => {
      const id = await deliver(harness, MESSAGE);

      const message = harness.store.queries.getMessage(id);
      expect(message?.subject).toBe('Grüße');
      expect(message?.from).toEqual([{ name: 'Alice', address: 'alice@example.test' }]);
      expect(message?.to).toEqual([{ name: 'Bob', address: 'bob@example.test' }]);
      expect(message?.date).toBe(Date.parse('2024-01-05T10:00:00Z'));
      expect(message?.dateIsReceivedAt).toBe(false);
      expect(message?.text).toContain('.a line that was dot-stuffed');
      expect(message?.hasAttachments).toBe(true);
      expect(message?.read).toBe(false);

      const parts = harness.store.queries.listParts(id);
      expect(parts.map((part) => [part.partId, part.contentType, part.kind])).toEqual([
        ['0', 'multipart/mixed', 'multipart'],
        ['1', 'text/plain', 'body'],
        ['2', 'application/pdf', 'attachment'],
      ]);
      const pdf = harness.store.queries.getPart(id, '2');
      expect(pdf?.content.toString()).toBe('%PDF-1.4 bytes');
      expect(pdf?.downloadName).toBe('report.pdf');
    });

    it('falls back to the received time', async () => {
      harness.close();
      harness = openHarness({ path: dbPath, now: () => 1_700_000_000_000 });
      const invalid = await deliver(harness, crlf(['Subject: a', 'Date: yesterday-ish', '', 'x']));
      const missing = await deliver(harness, crlf(['Subject: b', '', 'x']));

      const withInvalid = harness.store.queries.getMessage(invalid);
      expect(withInvalid?.date).toBe(1_700_000_000_000);
      expect(withInvalid?.dateIsReceivedAt).toBe(true);
      expect(withInvalid?.warnings).toEqual([
        'The Date header could not be read, so the received time is shown instead.',
      ]);
      const withoutDate = harness.store.queries.getMessage(missing);
      expect(withoutDate?.dateIsReceivedAt).toBe(true);
      expect(withoutDate?.warnings).toEqual([]);
    });

    it('unfolds the subject to single spaces', async () => {
      const raw = crlf(['Subject: folded across', '\tlines', '', 'x']);

      const id = await deliver(harness, raw);

      expect(harness.store.queries.getMessage(id)?.subject).toBe('folded across lines');
      const field = harness.store.queries.listHeaders(id)[0];
      expect(field?.rawValue).toBe('folded across\tlines');
    });

    it('reads an 8-bit Latin-1 subject', async () => {
      const raw = Buffer.concat([
        Buffer.from('Subject: Caf', 'latin1'),
        Buffer.from([0xe9]),
        Buffer.from('\r\n\r\nx\r\n', 'latin1'),
      ]);

      const id = await deliver(harness, raw);

      expect(harness.store.queries.getMessage(id)?.subject).toBe('Café');
    });

    it('cleans header address domains', async () => {
      const raw = crlf([
        'From: =?UTF-8?Q?Bj=C3=B8rn?= <Bjorn@XN--BCHER-KVA.Example.TEST>',
        'To: Team: one@example.test, Two <TWO@EXAMPLE.TEST>;',
        'Cc: cc@example.test',
        'Reply-To: reply@example.test',
        '',
        'x',
      ]);

      const message = harness.store.queries.getMessage(await deliver(harness, raw));
      expect(message?.from).toEqual([{ name: 'Bjørn', address: 'Bjorn@bücher.example.test' }]);
      expect(message?.to).toEqual([
        { name: '', address: 'one@example.test' },
        { name: 'Two', address: 'TWO@example.test' },
      ]);
      expect(message?.cc).toEqual([{ name: '', address: 'cc@example.test' }]);
      expect(message?.replyTo).toEqual([{ name: '', address: 'reply@example.test' }]);
    });

    it('collapses whitespace in the snippet', async () => {
      const body = `first\r\n\r\n   second\t\tthird ${'word '.repeat(100)}`;
      const id = await deliver(harness, crlf(['Subject: s', '', body]));

      const snippet = harness.store.queries.getMessage(id)?.snippet ?? '';
      expect(snippet.startsWith('first second third word word')).toBe(true);
      expect(Array.from(snippet)).toHaveLength(250);
    });

    it('records the delivery as committed', async () => {
      const id = await deliver(harness, MESSAGE);

      const delivery = harness.store.queries.getDelivery(id);
      expect(delivery?.state).toBe('committed');
      expect(delivery?.hasMessage).toBe(true);
      expect(delivery?.size).toBe(MESSAGE.length);
    });
  });

  describe('body()', () => {
    it('hides the message until commit()', async () => {
      const meta = makeMeta();
      const delivery = await harness.pipeline.start(meta, 'sender@example.test');
      await delivery.addRcpt('receiver@example.test');
      await delivery.body(parseHeader(MESSAGE), new MemoryBodyBuffer(MESSAGE));

      const reader = openDatabase(dbPath);
      try {
        const queries = new StoreQueries(reader);
        expect(queries.getMessage(meta.id)).toBeNull();
        expect(queries.getRaw(meta.id)).toBeNull();
        expect(queries.listMessages()).toEqual([]);
        expect(queries.listParts(meta.id)).toEqual([]);
        expect(queries.counts().messages).toBe(0);

        await delivery.commit();
        expect(queries.getMessage(meta.id)?.id).toBe(meta.id);
      } finally {
        reader.close();
      }
    });

    it('keeps raw bytes when parsing fails', async () => {
      // A part header block over the splitter's maxHeadSize makes both parser passes fail:
      // mailsplit counts each header line as at least 64 bytes.
      const lines = ['Subject: Huge part header', 'Content-Type: multipart/mixed; boundary=p', ''];
      lines.push('--p', 'Content-Type: text/plain');
      for (let index = 0; index < 40_000; index += 1) lines.push(`X-${index}: y`);
      lines.push('', 'part body', '--p--');
      const message = crlf(lines);

      const id = await deliver(harness, message);

      const stored = harness.store.queries.getMessage(id);
      expect(stored?.subject).toBe('Huge part header');
      expect(stored?.warnings.join('\n')).toMatch(/could not be parsed/);
      expect(harness.store.queries.getRaw(id)?.equals(message)).toBe(true);
    });
  });

  describe('abort()', () => {
    it('removes the staged rows', async () => {
      const meta = makeMeta();
      const delivery = await harness.pipeline.start(meta, 'sender@example.test');
      await delivery.addRcpt('receiver@example.test');
      await delivery.body(parseHeader(MESSAGE), new MemoryBodyBuffer(MESSAGE));
      await delivery.abort(abortReason('client-reset', 'The client sent RSET.'));

      const { db } = harness.store;
      const count = (table: string, column: string): unknown =>
        db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?`).get(meta.id);
      expect(count('messages', 'id')).toEqual({ n: 0 });
      expect(count('headers', 'message_id')).toEqual({ n: 0 });
      expect(count('parts', 'message_id')).toEqual({ n: 0 });
      expect(harness.store.queries.getDelivery(meta.id)?.state).toBe('aborted');
    });

    it('removes rows staged before the raw source', async () => {
      // body() stages the message row and the parts first, and reads the raw source last,
      // through a second open(). This buffer delays that read until abort() has run.
      const { gated, reading, releaseRead } = gatedBody(MESSAGE);
      const meta = makeMeta();
      const delivery = await harness.store.target.start(meta, 'sender@example.test');
      await delivery.addRcpt('receiver@example.test');

      const body = delivery.body(parseHeader(MESSAGE), gated);
      await reading;
      const { db } = harness.store;
      const count = (table: string, column: string): unknown =>
        db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?`).get(meta.id);
      expect(count('messages', 'id')).toEqual({ n: 1 });
      expect(count('parts', 'message_id')).toEqual({ n: 3 });
      await delivery.abort(abortReason('client-reset', 'The client sent RSET.'));
      releaseRead();
      await body;

      expect(count('messages', 'id')).toEqual({ n: 0 });
      expect(count('headers', 'message_id')).toEqual({ n: 0 });
      expect(count('parts', 'message_id')).toEqual({ n: 0 });
      await expect(delivery.commit()).rejects.toThrow(/state aborted/);
    });
    it('rejects a commit after a failed commit lost a raw chunk', async () => {
      // The message row and parts reach the file in one shared transaction, and the raw
      // source joins the next one, whose commit fails. A deferred foreign key violation
      // makes it fail, as a full disk would.
      const { gated, reading, releaseRead } = gatedBody(MESSAGE);
      const meta = makeMeta();
      const delivery = await harness.store.target.start(meta, 'sender@example.test');
      await delivery.addRcpt('receiver@example.test');
      const { db } = harness.store;
      const turn = TurnTransaction.of(db);

      const body = delivery.body(parseHeader(MESSAGE), gated);
      await reading;
      turn.commit();
      turn.enter();
      db.pragma('defer_foreign_keys = ON');
      db.prepare(
        "INSERT INTO headers (message_id, position, name, value, raw_value) VALUES ('none', 1, 'a', 'b', 'c')",
      ).run();
      releaseRead();
      await body;
      turn.commit();

      const chunks = db
        .prepare('SELECT COUNT(*) AS n FROM message_raw_chunks WHERE message_id = ?')
        .get(meta.id);
      expect(chunks).toEqual({ n: 0 });
      await expect(delivery.commit()).rejects.toMatchObject({ code: 451 });
      expect(harness.store.queries.getMessage(meta.id)).toBeNull();
      const staged = db.prepare('SELECT COUNT(*) AS n FROM messages WHERE id = ?').get(meta.id);
      expect(staged).toEqual({ n: 0 });
    });
  });

  describe('addRcpt()', () => {
    it('stores recipient case variants once', async () => {
      const id = await deliver(harness, MESSAGE, {
        recipients: ['Bob@EXAMPLE.test', 'bob@example.test', 'BOB@example.TEST'],
      });

      expect(harness.store.queries.getMessage(id)?.envelopeRecipients).toEqual([
        'Bob@example.test',
      ]);
    });

    it('stores A-label and U-label domains once', async () => {
      const id = await deliver(harness, MESSAGE, {
        recipients: ['b@xn--bcher-kva.example.test', 'b@bücher.example.test'],
      });

      expect(harness.store.queries.getMessage(id)?.envelopeRecipients).toEqual([
        'b@bücher.example.test',
      ]);
    });

    it('ignores duplicates when called directly', async () => {
      const meta = makeMeta();
      const delivery = await harness.store.target.start(meta, 'sender@example.test');
      await delivery.addRcpt('Bob@example.test');
      await delivery.addRcpt('bob@example.test');
      await delivery.body(parseHeader(MESSAGE), new MemoryBodyBuffer(MESSAGE));
      await delivery.commit();

      expect(harness.store.queries.getMessage(meta.id)?.envelopeRecipients).toEqual([
        'Bob@example.test',
      ]);
    });
  });
});

/**
 * Builds a body buffer whose second open(), the one body() reads the raw source through
 * after it staged the message row and parts, waits until `releaseRead` is called.
 * `reading` resolves when that read starts.
 */
function gatedBody(message: Buffer): {
  gated: BodyBuffer;
  reading: Promise<void>;
  releaseRead: () => void;
} {
  let readStarted!: () => void;
  const reading = new Promise<void>((resolve) => (readStarted = resolve));
  let releaseRead!: () => void;
  const released = new Promise<void>((resolve) => (releaseRead = resolve));
  const inner = new MemoryBodyBuffer(message);
  let opened = 0;
  async function* delayed(): AsyncGenerator<Buffer> {
    readStarted();
    await released;
    yield* inner.open();
  }
  const gated: BodyBuffer = {
    size: inner.size,
    open: () => {
      opened += 1;
      return opened === 1 ? inner.open() : Readable.from(delayed());
    },
    readAll: () => inner.readAll(),
    remove: () => inner.remove(),
  };
  return { gated, reading, releaseRead };
}
