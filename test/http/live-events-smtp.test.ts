import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseCli } from '../../src/config.js';
import { startCore, type Core } from '../../src/core.js';
import type { LiveEvent, ServerStatus } from '../../src/http/api-types.js';
import { readPackageVersion } from '../../src/http/server-routes.js';
import { createLogger } from '../../src/log.js';
import { RawSmtpClient } from '../support/raw-smtp-client.js';
import { EventStreamReader, waitFor } from './helpers.js';

let dataDir: string;
let core: Core;
let base: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-live-'));
  const request = parseCli(
    [
      ...['--smtp', '127.0.0.1:0', '--http', '127.0.0.1:0', '--data-dir', dataDir],
      ...['--no-starttls', '--max-recipients', '2'],
    ],
    {},
  );
  if (request.kind !== 'run') throw new Error('unexpected CLI request');
  core = await startCore(request.config, createLogger({ level: 'silent' }));
  base = `http://127.0.0.1:${core.httpAddress.port}/api/mailscope`;
});

afterAll(async () => {
  await core?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** Sends one message to three recipients, of which the limit of two rejects the last. */
async function sendOverSmtp(subject: string): Promise<string> {
  const { client: dialogue } = await RawSmtpClient.connect(core.smtpAddress.port);
  try {
    expect((await dialogue.command('EHLO live.example.test')).code).toBe(250);
    expect((await dialogue.command('MAIL FROM:<app@example.test>')).code).toBe(250);
    expect((await dialogue.command('RCPT TO:<one@example.test>')).code).toBe(250);
    expect((await dialogue.command('RCPT TO:<two@example.test>')).code).toBe(250);
    expect((await dialogue.command('RCPT TO:<three@example.test>')).code).toBe(452);
    expect((await dialogue.command('DATA')).code).toBe(354);
    const reply = await dialogue.data(
      Buffer.from(
        `From: app@example.test\r\nTo: one@example.test\r\nSubject: ${subject}\r\n\r\nhi\r\n`,
      ),
    );
    const id = /^250 2\.0\.0 Ok: queued as (\S+)/.exec(reply.raw)?.[1];
    if (id === undefined) throw new Error(`unexpected reply to DATA: ${reply.raw}`);
    await dialogue.command('QUIT');
    return id;
  } finally {
    dialogue.destroy();
  }
}

async function putRead(id: string, read: boolean): Promise<void> {
  const response = await fetch(`${base}/messages/${id}/read`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ read }),
  });
  expect(response.status).toBe(200);
  await response.arrayBuffer();
}

describe('live events over a real server', () => {
  it('streams the steps of an SMTP delivery in order', async () => {
    const stream = await EventStreamReader.open(`${base}/events`);
    try {
      const id = await sendOverSmtp('Streamed');

      const events = await stream.nextEvents(6);
      expect(events.map((event) => event.type)).toEqual([
        'delivery.started',
        'rcpt.accepted',
        'rcpt.accepted',
        'rcpt.rejected',
        'body.received',
        'delivery.committed',
      ]);
      const first = events[0]?.id ?? 0;
      expect(events.map((event) => event.id)).toEqual([0, 1, 2, 3, 4, 5].map((n) => first + n));
      expect(events.map((event) => (event as { sseId?: string }).sseId)).toEqual(
        events.map((event) => String(event.id)),
      );

      const committed = events.at(-1) as Extract<LiveEvent, { delivery: unknown }>;
      expect(committed.deliveryId).toBe(id);
      expect(committed.delivery).toMatchObject({
        id,
        state: 'committed',
        subject: 'Streamed',
        mailFrom: 'app@example.test',
        recipientCount: 2,
        recipientsPreview: ['one@example.test', 'two@example.test'],
      });
    } finally {
      stream.close();
    }
  });

  it('replays missed events to a client that reconnects', async () => {
    const id = await sendOverSmtp('Replayed');
    const first = await EventStreamReader.open(`${base}/events`);
    await putRead(id, true);
    const seen = await first.nextEvent();
    first.close();

    await putRead(id, false);
    const deleted = await fetch(`${base}/messages/${id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);

    const second = await EventStreamReader.open(`${base}/events`, {
      'Last-Event-ID': String(seen.id),
    });
    try {
      const missed = await second.nextEvents(2);
      expect(missed).toEqual([
        expect.objectContaining({
          id: seen.id + 1,
          type: 'message.read',
          deliveryId: id,
          read: false,
        }),
        expect.objectContaining({ id: seen.id + 2, type: 'message.deleted', deliveryId: id }),
      ]);

      const cleared = await fetch(`${base}/messages`, { method: 'DELETE' });
      expect(cleared.status).toBe(200);
      expect(await second.nextEvent()).toMatchObject({ id: seen.id + 3, type: 'messages.cleared' });
    } finally {
      second.close();
    }
  });

  it('sends resync when the missed events are no longer kept', async () => {
    const id = await sendOverSmtp('Overflow');
    const first = await EventStreamReader.open(`${base}/events`);
    await putRead(id, true);
    const seen = await first.nextEvent();
    first.close();

    // The server keeps the last 1,000 live events.
    for (let index = 0; index < 1001; index += 1) await putRead(id, index % 2 === 0);

    const second = await EventStreamReader.open(`${base}/events`, {
      'Last-Event-ID': String(seen.id),
    });
    try {
      const resync = await second.nextEvent();
      expect(resync.type).toBe('resync');
      expect(resync.id).toBe(seen.id + 1001);

      await putRead(id, true);
      expect(await second.nextEvent()).toMatchObject({ id: seen.id + 1002, type: 'message.read' });
    } finally {
      second.close();
    }
  });

  it('unsubscribes the client when it disconnects', async () => {
    // The streams of the earlier tests are closed too, once their disconnects are seen.
    expect(await waitFor(() => core.liveEvents.subscriberCount === 0)).toBe(true);
    const stream = await EventStreamReader.open(`${base}/events`);
    await stream.nextMessage();
    expect(core.liveEvents.subscriberCount).toBe(1);

    stream.close();
    expect(await waitFor(() => core.liveEvents.subscriberCount === 0)).toBe(true);
  });

  it('reports the version and addresses in /status', async () => {
    const response = await fetch(`${base}/status`);
    const status = (await response.json()) as ServerStatus;

    expect(status.version).toBe(readPackageVersion());
    expect(status.http).toEqual({ host: '127.0.0.1', port: core.httpAddress.port });
    expect(status.smtp).toEqual({ host: '127.0.0.1', port: core.smtpAddress.port });
    expect(status.database.path).toBe(path.join(dataDir, 'mailscope.db'));
    expect(status.database.sizeBytes).toBeGreaterThan(0);
  });
});
