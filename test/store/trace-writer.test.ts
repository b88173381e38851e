import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { abortReason } from '../../src/delivery/abort-reason.js';
import { MemoryBodyBuffer } from '../../src/delivery/body-buffer.js';
import { SmtpError } from '../../src/delivery/smtp-error.js';
import { parseHeader } from '../../src/message/header.js';
import { crlf, ERROR_LEVEL, makeMeta, makeTempDir, openHarness, type Harness } from './helpers.js';

const MESSAGE = crlf(['Subject: Trace', '', 'body']);

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

describe('TraceWriter', () => {
  describe('delivery events', () => {
    it('stores connection details', async () => {
      const meta = makeMeta({
        originalFrom: 'Sender@XN--BCHER-KVA.example.test',
        mailFrom: { size: 1234, body: '8BITMIME', smtpUtf8: true, all: { SIZE: '1234' } },
      });
      meta.conn.protocol = 'ESMTPSA';
      meta.conn.tls = { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' };
      meta.conn.authUser = 'tester';
      await harness.pipeline.start(meta, meta.originalFrom);

      const delivery = harness.store.queries.getDelivery(meta.id);
      expect(delivery?.state).toBe('in-progress');
      expect(delivery?.mailFrom).toBe('Sender@bücher.example.test');
      expect(delivery?.mailFromOriginal).toBe('Sender@XN--BCHER-KVA.example.test');
      expect(delivery?.mailParams).toEqual({ SIZE: '1234' });
      expect(delivery?.declaredSize).toBe(1234);
      expect(delivery?.bodyType).toBe('8BITMIME');
      expect(delivery?.smtpUtf8).toBe(true);
      expect(delivery?.protocol).toBe('ESMTPSA');
      expect(delivery?.tls).toEqual({ version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' });
      expect(delivery?.authUser).toBe('tester');
      expect(delivery?.events.map((event) => event.type)).toEqual(['delivery.started']);
    });

    it('records accepted, duplicate and rejected recipients', async () => {
      const meta = makeMeta();
      const delivery = await harness.pipeline.start(meta, 'sender@example.test');
      await delivery.addRcpt('bob@example.test');
      await delivery.addRcpt('Bob@EXAMPLE.test');
      harness.bus.emit({
        type: 'rcpt',
        deliveryId: meta.id,
        at: Date.now(),
        original: 'nobody@example.test',
        address: 'nobody@example.test',
        status: 'rejected',
        reply: new SmtpError(550, '5.1.1', 'No such user').toReply(),
      });

      const detail = harness.store.queries.getDelivery(meta.id);
      expect(detail?.recipients.map((r) => [r.position, r.original, r.status])).toEqual([
        [1, 'bob@example.test', 'accepted'],
        [2, 'Bob@EXAMPLE.test', 'duplicate'],
        [3, 'nobody@example.test', 'rejected'],
      ]);
      expect(detail?.recipients[1]?.address).toBe('Bob@example.test');
      expect(detail?.recipients[2]?.reply).toEqual({
        code: 550,
        enhancedCode: '5.1.1',
        message: 'No such user',
      });
      expect(detail?.recipientCount).toBe(1);
      const rcptEvents = detail?.events.filter((event) => event.type === 'rcpt');
      expect(rcptEvents?.map((event) => event.data.status)).toEqual([
        'accepted',
        'duplicate',
        'rejected',
      ]);
    });

    it('records each committed delivery step', async () => {
      const meta = makeMeta();
      const delivery = await harness.pipeline.start(meta, 'sender@example.test');
      await delivery.addRcpt('bob@example.test');
      await delivery.body(parseHeader(MESSAGE), new MemoryBodyBuffer(MESSAGE));
      await delivery.commit();

      const detail = harness.store.queries.getDelivery(meta.id);
      expect(detail?.events.map((event) => [event.seq, event.type])).toEqual([
        [1, 'delivery.started'],
        [2, 'rcpt'],
        [3, 'body.received'],
        [4, 'delivery.committed'],
      ]);
      expect(detail?.events[3]?.data.reply).toMatchObject({ code: 250 });
      expect(detail?.state).toBe('committed');
      expect(detail?.endedAt).toBeTypeOf('number');
      expect(detail?.size).toBe(MESSAGE.length);
    });

    it('records the abort reason', async () => {
      const meta = makeMeta();
      const delivery = await harness.pipeline.start(meta, 'sender@example.test');
      await delivery.addRcpt('bob@example.test');
      await delivery.abort(abortReason('client-disconnected', 'The connection closed.'));

      const detail = harness.store.queries.getDelivery(meta.id);
      expect(detail?.state).toBe('aborted');
      expect(detail?.abortKind).toBe('client-disconnected');
      expect(detail?.abortDetail).toBe('The connection closed.');
      expect(detail?.events.at(-1)?.type).toBe('delivery.aborted');
      expect(detail?.events.at(-1)?.data.reason).toEqual({
        kind: 'client-disconnected',
        detail: 'The connection closed.',
      });
    });

    it('skips events of deleted deliveries', async () => {
      harness.bus.emit({
        type: 'delivery.committed',
        deliveryId: 'deleted-delivery',
        at: Date.now(),
        reply: { code: 250, enhancedCode: '2.0.0', message: 'Ok' },
      });

      const errors = harness.logLines.filter((line) => line.level === ERROR_LEVEL);
      expect(errors).toEqual([]);
      expect(harness.listenerErrors).toEqual([]);
      expect(harness.store.queries.getDelivery('deleted-delivery')).toBeNull();
    });
  });

  describe('session events', () => {
    it('stores the transcript and times', async () => {
      const meta = makeMeta();
      harness.bus.emit({
        type: 'session.opened',
        sessionId: meta.conn.sessionId,
        at: 1000,
        remoteAddress: '127.0.0.1',
        remotePort: 40000,
        localAddress: '127.0.0.1',
        localPort: 2525,
      });
      harness.bus.emit({
        type: 'session.transcript',
        sessionId: meta.conn.sessionId,
        lines: [
          { at: 1001, direction: 'S', text: '220 mailscope ESMTP' },
          { at: 1002, direction: 'C', text: 'EHLO client.example.test' },
        ],
      });
      await harness.pipeline.start(meta, 'sender@example.test');
      harness.bus.emit({
        type: 'session.transcript',
        sessionId: meta.conn.sessionId,
        lines: [{ at: 1003, direction: 'I', text: 'connection closed' }],
      });
      harness.bus.emit({ type: 'session.closed', sessionId: meta.conn.sessionId, at: 1004 });

      const detail = harness.store.queries.getDelivery(meta.id);
      expect(detail?.transcript).toEqual([
        { seq: 1, at: 1001, direction: 'S', text: '220 mailscope ESMTP' },
        { seq: 2, at: 1002, direction: 'C', text: 'EHLO client.example.test' },
        { seq: 3, at: 1003, direction: 'I', text: 'connection closed' },
      ]);
      const session = harness.store.db
        .prepare('SELECT opened_at, closed_at, remote_port FROM sessions WHERE id = ?')
        .get(meta.conn.sessionId);
      expect(session).toEqual({ opened_at: 1000, closed_at: 1004, remote_port: 40000 });
    });
  });
});
