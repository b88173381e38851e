import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import type { CoreEvent } from '../../src/delivery/events.js';
import { RawSmtpClient } from '../support/raw-smtp-client.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { startEndpoint, type EndpointHarness } from '../support/smtp-harness.js';

let harness: EndpointHarness | null = null;
let server: ServerProcess | null = null;
let client: RawSmtpClient | null = null;
let dataDir: string | null = null;

afterEach(async () => {
  client?.destroy();
  client = null;
  await harness?.stop();
  harness = null;
  if (server !== null) {
    server.child.kill('SIGTERM');
    await server.exited;
    server = null;
  }
  if (dataDir !== null) {
    await rm(dataDir, { recursive: true, force: true });
    dataDir = null;
  }
});

type RcptEvent = Extract<CoreEvent, { type: 'rcpt' }>;

function rcptEvents(events: CoreEvent[]): RcptEvent[] {
  return events.filter((event): event is RcptEvent => event.type === 'rcpt');
}

describe('RCPT TO rejected for syntax', () => {
  it('is recorded as a rejected recipient of the open delivery', async () => {
    harness = await startEndpoint();
    ({ client } = await RawSmtpClient.connect(harness.port));
    await client.command('EHLO client.example.test');
    await client.command('MAIL FROM:<a@example.test>');

    const badAddress = await client.command('RCPT TO:<not an address>');
    const badParameter = await client.command('RCPT TO:<c@example.test> ORCPT=rfc822;c+0D+0Ad');

    expect(badAddress.code).toBe(501);
    expect(badParameter.code).toBe(501);
    const deliveryId = harness.target.deliveries[0]!.meta.id;
    const recorded = rcptEvents(harness.events);
    expect(recorded.map((event) => event.original)).toEqual([
      '<not an address>',
      '<c@example.test> ORCPT=rfc822;c+0D+0Ad',
    ]);
    for (const event of recorded) {
      expect(event.deliveryId).toBe(deliveryId);
      expect(event.status).toBe('rejected');
      expect(event.reply.code).toBe(501);
      expect(event.reply.enhancedCode).toMatch(/^5\.\d\.\d+$/);
    }
    expect(recorded[0]?.reply.message).toBe('Error: Bad recipient address syntax');
  });

  it('is not recorded outside a transaction', async () => {
    harness = await startEndpoint();
    ({ client } = await RawSmtpClient.connect(harness.port));
    await client.command('EHLO client.example.test');

    const reply = await client.command('RCPT TO:<not an address>');

    expect(reply.code).toBe(501);
    expect(rcptEvents(harness.events)).toEqual([]);
  });

  it('shows in the stored recipients next to the accepted one', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-rcpt-'));
    server = await startServerProcess([
      '--db',
      path.join(dataDir, 'mail.db'),
      '--data-dir',
      dataDir,
    ]);
    ({ client } = await RawSmtpClient.connect(server.smtp.port));
    await client.command('EHLO client.example.test');
    await client.command('MAIL FROM:<a@example.test>');
    await client.command('RCPT TO:<b@example.test>');
    await client.command('RCPT TO:<two@at@example.test>');
    await client.command('DATA');
    client.write('Subject: rejected rcpt\r\n\r\nbody\r\n.\r\n');
    const end = await client.read();
    const id = /queued as (\S+)/.exec(end.raw)?.[1];

    const response = await fetch(
      `http://127.0.0.1:${server.http.port}/api/mailscope/deliveries/${id}`,
    );
    const detail = (await response.json()) as {
      recipients: Array<{ original: string; status: string; reply: { code: number } }>;
    };

    expect(end.code).toBe(250);
    expect(detail.recipients.map((r) => [r.original, r.status, r.reply.code])).toEqual([
      ['b@example.test', 'accepted', 250],
      ['<two@at@example.test>', 'rejected', 501],
    ]);
  }, 120_000);
});
