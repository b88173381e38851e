import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';

import { MemoryBodyBuffer } from '../../src/delivery/body-buffer.js';
import { EventBus, type CoreEvent, type DeliveryEvent } from '../../src/delivery/events.js';
import { DeliveryPipeline } from '../../src/delivery/pipeline.js';
import { SmtpError } from '../../src/delivery/smtp-error.js';
import { parseHeader } from '../../src/message/header.js';
import { FakeTarget } from '../support/fake-target.js';
import { makeMeta } from '../store/helpers.js';

const message = Buffer.from('To: to@example.test\r\nSubject: hi\r\n\r\nbody\r\n');

let first: FakeTarget;
let second: FakeTarget;
let events: DeliveryEvent[];
let pipeline: DeliveryPipeline;

function makePipeline(maxRecipients = 1000): DeliveryPipeline {
  const bus = new EventBus((error) => {
    throw error;
  });
  bus.subscribe((event: CoreEvent) => {
    if (!event.type.startsWith('session.')) events.push(event as DeliveryEvent);
  });
  return new DeliveryPipeline({
    targets: [first, second],
    events: bus,
    logger: pino({ level: 'silent' }),
    maxRecipients,
  });
}

beforeEach(() => {
  first = new FakeTarget();
  second = new FakeTarget();
  events = [];
  pipeline = makePipeline();
});

describe('DeliveryPipeline', () => {
  describe('start()', () => {
    it('starts every target with the cleaned sender', async () => {
      await pipeline.start(makeMeta(), 'Sender@XN--BCHER-KVA.example.test');

      expect(first.deliveries[0]?.mailFrom).toBe('Sender@bücher.example.test');
      expect(second.deliveries[0]?.mailFrom).toBe('Sender@bücher.example.test');
      expect(events.map((event) => event.type)).toEqual(['delivery.started']);
    });

    it('passes the null sender through as the empty string', async () => {
      await pipeline.start(makeMeta(), '');

      expect(first.deliveries[0]?.mailFrom).toBe('');
    });

    it('aborts the targets already started when a later one refuses', async () => {
      second.startError = new SmtpError(451, '4.3.0', 'busy');

      await expect(pipeline.start(makeMeta(), 'a@example.test')).rejects.toThrow('busy');
      expect(first.deliveries[0]?.state).toBe('aborted');
      expect(events).toEqual([]);
    });
  });

  describe('addRcpt()', () => {
    it('records duplicates and case variants of one recipient once', async () => {
      const delivery = await pipeline.start(makeMeta(), 'a@example.test');
      await delivery.addRcpt('Bob@Example.TEST');
      await delivery.addRcpt('bob@example.test');
      await delivery.addRcpt('BOB@example.test');

      expect(first.deliveries[0]?.rcpts).toEqual(['Bob@example.test']);
      expect(delivery.acceptedCount).toBe(1);
      const statuses = events.flatMap((event) => (event.type === 'rcpt' ? [event.status] : []));
      expect(statuses).toEqual(['accepted', 'duplicate', 'duplicate']);
    });

    it('treats an A-label and a U-label domain as one recipient', async () => {
      const delivery = await pipeline.start(makeMeta(), 'a@example.test');
      await delivery.addRcpt('b@xn--bcher-kva.example.test');
      await delivery.addRcpt('b@bücher.example.test');

      expect(second.deliveries[0]?.rcpts).toEqual(['b@bücher.example.test']);
    });

    it('rejects past the recipient limit with 452 and keeps the earlier ones', async () => {
      pipeline = makePipeline(2);
      const delivery = await pipeline.start(makeMeta(), 'a@example.test');
      await delivery.addRcpt('r1@example.test');
      await delivery.addRcpt('r2@example.test');

      await expect(delivery.addRcpt('r3@example.test')).rejects.toMatchObject({
        code: 452,
        enhancedCode: '4.5.3',
      });
      await delivery.addRcpt('r1@example.test');
      expect(first.deliveries[0]?.rcpts).toEqual(['r1@example.test', 'r2@example.test']);
    });

    it('records a target rejection with its reply', async () => {
      first.rcptError = (address) =>
        address.startsWith('nobody') ? new SmtpError(550, '5.1.1', 'No such user') : null;
      const delivery = await pipeline.start(makeMeta(), 'a@example.test');

      await expect(delivery.addRcpt('nobody@example.test')).rejects.toThrow('No such user');
      const rejected = events.find((event) => event.type === 'rcpt');
      expect(rejected).toMatchObject({
        status: 'rejected',
        reply: { code: 550, enhancedCode: '5.1.1', message: 'No such user' },
      });
      expect(delivery.acceptedCount).toBe(0);
    });
  });

  describe('body() and commit()', () => {
    it('hands the body to every target, then commits every target', async () => {
      const delivery = await pipeline.start(makeMeta(), 'a@example.test');
      await delivery.addRcpt('to@example.test');
      await delivery.body(parseHeader(message), new MemoryBodyBuffer(message));
      await delivery.commit();

      expect(first.committed).toHaveLength(1);
      expect(second.committed).toHaveLength(1);
      expect(first.deliveries[0]?.body?.equals(message)).toBe(true);
      expect(events.map((event) => event.type)).toEqual([
        'delivery.started',
        'rcpt',
        'body.received',
        'delivery.committed',
      ]);
    });

    it('aborts every target after one body failure', async () => {
      second.bodyError = new Error('disk full');
      const delivery = await pipeline.start(makeMeta(), 'a@example.test');
      await delivery.addRcpt('to@example.test');

      await expect(
        delivery.body(parseHeader(message), new MemoryBodyBuffer(message)),
      ).rejects.toThrow('disk full');
      await delivery.abort({ kind: 'storage-error', detail: 'disk full' });

      expect(first.deliveries[0]?.state).toBe('aborted');
      expect(second.deliveries[0]?.state).toBe('aborted');
      expect(first.committed).toHaveLength(0);
      expect(events.map((event) => event.type)).toEqual([
        'delivery.started',
        'rcpt',
        'body.failed',
        'delivery.aborted',
      ]);
    });

    it('refuses a body when no recipient was accepted', async () => {
      const delivery = await pipeline.start(makeMeta(), 'a@example.test');

      await expect(
        delivery.body(parseHeader(message), new MemoryBodyBuffer(message)),
      ).rejects.toMatchObject({ code: 554 });
      expect(first.deliveries[0]?.body).toBeNull();
    });

    it('rejects a failed commit with 451', async () => {
      first.commitError = new Error('I/O error');
      const delivery = await pipeline.start(makeMeta(), 'a@example.test');
      await delivery.addRcpt('to@example.test');
      await delivery.body(parseHeader(message), new MemoryBodyBuffer(message));

      await expect(delivery.commit()).rejects.toMatchObject({ code: 451 });
      expect(second.committed).toHaveLength(1);
      expect(events.at(-1)).toMatchObject({
        type: 'delivery.aborted',
        reason: { kind: 'storage-error' },
      });
    });
  });

  describe('abort()', () => {
    it('aborts every target once and records the reason', async () => {
      const delivery = await pipeline.start(makeMeta(), 'a@example.test');
      await delivery.abort({ kind: 'client-reset', detail: 'RSET' });
      await delivery.abort({ kind: 'client-disconnected', detail: 'gone' });

      expect(first.deliveries[0]?.abortReason).toEqual({ kind: 'client-reset', detail: 'RSET' });
      expect(events.filter((event) => event.type === 'delivery.aborted')).toHaveLength(1);
      expect(first.contractViolations).toEqual([]);
    });

    it('does nothing after commit', async () => {
      const delivery = await pipeline.start(makeMeta(), 'a@example.test');
      await delivery.addRcpt('to@example.test');
      await delivery.body(parseHeader(message), new MemoryBodyBuffer(message));
      await delivery.commit();
      await delivery.abort({ kind: 'client-disconnected', detail: 'late' });

      expect(first.deliveries[0]?.state).toBe('committed');
      expect(first.contractViolations).toEqual([]);
    });
  });
});
