import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { parseCli } from '../../src/config.js';
import { startCore, type Core } from '../../src/core.js';
import { EventBus } from '../../src/delivery/events.js';
import { DeliveryPipeline } from '../../src/delivery/pipeline.js';
import { SmtpError } from '../../src/delivery/smtp-error.js';
import type { DeliveryTarget } from '../../src/delivery/types.js';
import {
  FALLBACK_RECIPIENT,
  ImportError,
  envelopeFromHeader,
  importMessage,
  returnPathAddress,
} from '../../src/import/index.js';
import { parseHeader } from '../../src/message/header.js';
import { crlf, openHarness, silentLogger, type Harness } from '../store/helpers.js';
import { FakeTarget } from '../support/fake-target.js';

const message = crlf([
  'Return-Path: <bounces@app.example.test>',
  'From: App <app@example.test>',
  'To: Ann <ann@example.test>, bob@example.test',
  'Cc: carol@example.test',
  'Bcc: dave@example.test',
  'Subject: Imported',
  '',
  'Hello from a file.',
]);

describe('envelopeFromHeader()', () => {
  it('takes MAIL FROM from Return-Path before From', () => {
    const envelope = envelopeFromHeader(parseHeader(message));

    expect(envelope.mailFrom).toBe('bounces@app.example.test');
    expect(envelope.mailFromHeader).toBe('Return-Path');
  });

  it('takes MAIL FROM from From without Return-Path', () => {
    const header = parseHeader(crlf(['From: "App" <app@example.test>', 'To: a@example.test', '']));

    expect(envelopeFromHeader(header).mailFrom).toBe('app@example.test');
    expect(envelopeFromHeader(header).mailFromHeader).toBe('From');
  });

  it('uses the null sender without Return-Path and From', () => {
    const envelope = envelopeFromHeader(parseHeader(crlf(['To: a@example.test', '', 'x'])));

    expect(envelope.mailFrom).toBe('');
    expect(envelope.mailFromHeader).toBeNull();
  });

  it('lists To, Cc and Bcc recipients in order', () => {
    const envelope = envelopeFromHeader(parseHeader(message));

    expect(envelope.recipients).toEqual([
      'ann@example.test',
      'bob@example.test',
      'carol@example.test',
      'dave@example.test',
    ]);
    expect(envelope.usedFallbackRecipient).toBe(false);
  });

  it('lists group members in place of the group', () => {
    const header = parseHeader(crlf(['To: Team: a@example.test, b@example.test;', '']));

    expect(envelopeFromHeader(header).recipients).toEqual(['a@example.test', 'b@example.test']);
  });

  it('falls back to local@localhost without recipients', () => {
    const header = parseHeader(crlf(['From: a@example.test', 'To: undisclosed-recipients:;', '']));

    expect(envelopeFromHeader(header).recipients).toEqual([FALLBACK_RECIPIENT]);
    expect(envelopeFromHeader(header).usedFallbackRecipient).toBe(true);
  });
});

describe('returnPathAddress()', () => {
  it.each([
    ['<a@example.test>', 'a@example.test'],
    ['<>', ''],
    [' < a@example.test > (comment)', 'a@example.test'],
    ['a@example.test', 'a@example.test'],
  ])('reads %j as %j', (value, expected) => {
    expect(returnPathAddress(value)).toBe(expected);
  });
});

describe('importMessage()', () => {
  let harness: Harness;

  beforeEach(() => {
    harness = openHarness({ path: ':memory:' });
  });

  afterEach(() => {
    harness.close();
  });

  const target = (): { pipeline: DeliveryTarget; events: Harness['bus'] } => ({
    pipeline: harness.pipeline,
    events: harness.bus,
  });

  it('stores a committed LOCAL delivery with the raw bytes', async () => {
    const result = await importMessage(target(), message, { source: '/tmp/welcome.eml' });

    const delivery = harness.store.queries.getDelivery(result.deliveryId);
    expect(delivery?.state).toBe('committed');
    expect(delivery?.protocol).toBe('LOCAL');
    expect(delivery?.sessionId).toBe(`local-${result.deliveryId}`);
    expect(delivery?.mailFrom).toBe('bounces@app.example.test');
    expect(harness.store.queries.getRaw(result.deliveryId)?.equals(message)).toBe(true);
    expect(harness.store.queries.getMessage(result.deliveryId)?.subject).toBe('Imported');
  });

  it('records every recipient and the steps in the trace', async () => {
    const result = await importMessage(target(), message, { source: 'welcome.eml' });

    const delivery = harness.store.queries.getDelivery(result.deliveryId);
    expect(delivery?.recipients.map((recipient) => recipient.address)).toEqual(result.recipients);
    expect(result.recipients).toHaveLength(4);
    expect(delivery?.events.map((event) => event.type)).toEqual([
      'delivery.started',
      'rcpt',
      'rcpt',
      'rcpt',
      'rcpt',
      'body.received',
      'delivery.committed',
    ]);
  });

  it('notes the source and the envelope in the transcript', async () => {
    const result = await importMessage(target(), message, { source: '/tmp/welcome.eml' });

    const transcript = harness.store.queries.getDelivery(result.deliveryId)?.transcript ?? [];
    expect(transcript.map((line) => line.direction)).toEqual(['I', 'I']);
    expect(transcript[0]?.text).toBe(`Imported from /tmp/welcome.eml (${message.length} bytes)`);
    expect(transcript[1]?.text).toContain('from the Return-Path header');
  });

  it('delivers to local@localhost without header recipients', async () => {
    const bytes = crlf(['From: a@example.test', 'Subject: Note', '', 'x']);

    const result = await importMessage(target(), bytes, { source: 'note.eml' });

    expect(result.recipients).toEqual([FALLBACK_RECIPIENT]);
    expect(harness.store.queries.getDelivery(result.deliveryId)?.state).toBe('committed');
  });

  it('keeps the null sender of a Return-Path <>', async () => {
    const bytes = crlf(['Return-Path: <>', 'From: mailer@example.test', 'To: a@example.test', '']);

    const result = await importMessage(target(), bytes, { source: 'bounce.eml' });

    expect(result.mailFrom).toBe('');
    expect(harness.store.queries.getDelivery(result.deliveryId)?.mailFrom).toBe('');
  });

  it('rejects an empty file', async () => {
    const attempt = importMessage(target(), Buffer.alloc(0), { source: 'empty.eml' });

    await expect(attempt).rejects.toThrow(ImportError);
    await expect(attempt).rejects.toThrow('empty.eml is empty.');
  });

  it('rejects bytes without a header field', async () => {
    const attempt = importMessage(target(), Buffer.from('\r\njust text\r\n'), { source: 'x.eml' });

    await expect(attempt).rejects.toThrow('x.eml is not an email message');
    expect(harness.store.queries.counts().deliveries).toBe(0);
  });

  it('rejects a message above the size limit', async () => {
    const attempt = importMessage(target(), message, { source: 'big.eml', maxMessageSize: 10 });

    await expect(attempt).rejects.toThrow('more than the message size limit of 10 bytes');
    expect(harness.store.queries.counts().deliveries).toBe(0);
  });
});

describe('importMessage() with a failing target', () => {
  let fake: FakeTarget;
  let bus: EventBus;

  beforeEach(() => {
    fake = new FakeTarget();
    bus = new EventBus((error) => {
      throw error;
    });
  });

  const target = (): { pipeline: DeliveryTarget; events: EventBus } => ({
    pipeline: new DeliveryPipeline({
      targets: [fake],
      events: bus,
      logger: silentLogger,
      maxRecipients: 1000,
    }),
    events: bus,
  });

  it('aborts the delivery when the body fails', async () => {
    fake.bodyError = new Error('disk full');

    const attempt = importMessage(target(), message, { source: 'broken.eml' });

    await expect(attempt).rejects.toThrow('The imported message could not be stored: disk full');
    expect(fake.deliveries[0]?.state).toBe('aborted');
    expect(fake.deliveries[0]?.abortReason?.kind).toBe('storage-error');
  });

  it('falls back to local@localhost when every recipient is rejected', async () => {
    fake.rcptError = (address) =>
      address === FALLBACK_RECIPIENT ? null : new SmtpError(550, '5.1.1', 'No such user');

    const result = await importMessage(target(), message, { source: 'rejected.eml' });

    expect(result.recipients).toEqual([FALLBACK_RECIPIENT]);
    expect(fake.deliveries[0]?.state).toBe('committed');
  });

  it('reports a refused start as an ImportError', async () => {
    fake.startError = new SmtpError(451, '4.3.0', 'busy');

    await expect(importMessage(target(), message, { source: 'a.eml' })).rejects.toThrow(
      'Starting the delivery failed: busy',
    );
  });

  it('closes the local session after a failure', async () => {
    const closed: string[] = [];
    bus.subscribe((event) => {
      if (event.type === 'session.closed') closed.push(event.sessionId);
    });
    fake.bodyError = new Error('disk full');

    await importMessage(target(), message, { source: 'broken.eml' }).catch(() => undefined);

    expect(closed).toEqual([`local-${fake.deliveries[0]?.meta.id}`]);
  });
});

describe('Core.importMessage()', () => {
  let dataDir: string;
  let core: Core;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-import-'));
    const request = parseCli(
      ['--smtp', '127.0.0.1:0', '--http', '127.0.0.1:0', '--db', ':memory:', '--data-dir', dataDir],
      {},
    );
    if (request.kind !== 'run') throw new Error('expected a run request');
    core = await startCore(request.config, silentLogger);
  });

  afterEach(async () => {
    await core.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('stores the message through the core pipeline', async () => {
    const result = await core.importMessage(message, { source: 'welcome.eml' });

    expect(core.store.queries.getMessage(result.deliveryId)?.subject).toBe('Imported');
    expect(core.store.queries.counts().unread).toBe(1);
  });

  it('emits the committed event on the core bus', async () => {
    const committed: string[] = [];
    core.events.subscribe((event) => {
      if (event.type === 'delivery.committed') committed.push(event.deliveryId);
    });

    const result = await core.importMessage(message, { source: 'welcome.eml' });

    expect(committed).toEqual([result.deliveryId]);
  });

  it('rejects imports once the core is closing', async () => {
    await core.close();

    await expect(core.importMessage(message, { source: 'late.eml' })).rejects.toThrow(
      'Mailscope is shutting down.',
    );
  });
});
