import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';

import { EventBus, type CoreEvent } from '../../src/delivery/events.js';
import { DeliveryPipeline } from '../../src/delivery/pipeline.js';
import { FakeTarget } from '../support/fake-target.js';
import {
  createMemoryLogger,
  startEndpoint,
  type EndpointHarness,
} from '../support/smtp-harness.js';

let harness: EndpointHarness | null = null;

afterEach(async () => {
  await harness?.stop();
  harness = null;
});

/** Starts an endpoint with the real DeliveryPipeline in front of a FakeTarget. */
async function startWithPipeline(maxRecipients: number) {
  const target = new FakeTarget();
  const pipelineEvents: CoreEvent[] = [];
  const events = new EventBus((error) => {
    throw error;
  });
  events.subscribe((event) => pipelineEvents.push(event));
  const pipeline = new DeliveryPipeline({
    targets: [target],
    events,
    logger: createMemoryLogger().logger,
    maxRecipients,
  });
  harness = await startEndpoint({ target: pipeline });
  return { target, pipelineEvents, port: harness.port };
}

function recipients(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `r${i + 1}@example.test`);
}

async function sendTo(port: number, to: string[]) {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true });
  return transport.sendMail({
    envelope: { from: 'a@example.test', to },
    raw:
      'From: a@example.test\r\nTo: r1@example.test, r2@example.test, r3@example.test\r\n' +
      'Subject: many recipients\r\n\r\nsmall body\r\n',
  });
}

describe('SmtpEndpoint with many recipients', () => {
  it('accepts 150 recipients', async () => {
    const { target, port } = await startWithPipeline(1000);

    const info = await sendTo(port, recipients(150));

    expect(info.accepted).toHaveLength(150);
    expect(info.rejected).toEqual([]);
    expect(target.committed[0]?.rcpts).toHaveLength(150);
    expect(target.committed[0]?.rcpts).toContain('r150@example.test');
  });

  it('accepts 1000 recipients', async () => {
    const { target, port } = await startWithPipeline(1000);

    const info = await sendTo(port, recipients(1000));

    expect(info.accepted).toHaveLength(1000);
    expect(target.committed[0]?.rcpts).toHaveLength(1000);
  });

  it('answers 452 past the limit', async () => {
    const { target, pipelineEvents, port } = await startWithPipeline(100);

    const info = await sendTo(port, recipients(150));

    const rejectedReplies = new Set(info.rejectedErrors?.map((error) => error.response));
    expect(info.accepted).toEqual(recipients(100));
    expect(info.rejected).toEqual(recipients(150).slice(100));
    expect([...rejectedReplies]).toEqual(['452 4.5.3 Too many recipients']);
    expect(info.response).toMatch(/^250 2\.0\.0 /);
    expect(target.committed[0]?.rcpts).toEqual(recipients(100));

    const rcptEvents = pipelineEvents.filter((event) => event.type === 'rcpt');
    expect(rcptEvents.filter((event) => event.status === 'rejected')).toHaveLength(50);
  });
});
