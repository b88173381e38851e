import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import type { Config } from '../../src/config.js';
import { parseCli } from '../../src/config.js';
import { createMemoryLogger } from '../support/smtp-harness.js';
import { sendMessage, startInstance, waitFor, type Instance } from '../relay/helpers.js';

/** One request the test receiver got. */
interface Received {
  at: number;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

/** Starts a loopback HTTP server that records each request and responds with `respond`. */
async function startReceiver(
  respond: (request: Received, count: number, response: ServerResponse) => void,
): Promise<{ url: string; requests: Received[]; close(): Promise<void> }> {
  const requests: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const received: Received = {
        at: Date.now(),
        headers: request.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      };
      requests.push(received);
      respond(received, requests.length, response);
    });
  });
  // Bounds any connection the test leaves open, such as the one to a hanging receiver.
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const MESSAGE = Buffer.from(
  [
    'From: App <app@example.test>',
    'To: User <user@example.test>',
    'Subject: Webhook test',
    'Message-ID: <hook-1@example.test>',
    '',
    'Hello from the webhook test.',
    '',
  ].join('\r\n'),
);

const FAST_RETRIES = { ratePerSecond: 0, timeoutMs: 500, maxAttempts: 3, backoffMs: 50 };

let cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function startWithWebhook(
  url: string,
  settings: Partial<NonNullable<Config['webhook']>> = {},
  logger = createMemoryLogger().logger,
): Promise<Instance> {
  const instance = await startInstance(['--no-starttls', '--webhook-url', url], {
    logger,
    adjust: (config) => {
      config.webhook = { ...(config.webhook as NonNullable<Config['webhook']>), ...settings };
    },
  });
  cleanups.push(() => instance.close());
  return instance;
}

function send(instance: Instance, subject = 'Webhook test') {
  const message = Buffer.from(MESSAGE.toString('utf8').replace('Webhook test', subject));
  return sendMessage(
    instance.core.smtpAddress.port,
    'app@example.test',
    ['user@example.test', 'bcc@example.test'],
    message,
  );
}

describe('webhook', () => {
  it('posts the message summary', async () => {
    const receiver = await startReceiver((_request, _count, response) => response.end('ok'));
    cleanups.push(receiver.close);
    const instance = await startWithWebhook(receiver.url, FAST_RETRIES);

    const sent = await send(instance);
    const [request] = await waitFor(
      () => (receiver.requests.length > 0 ? receiver.requests : undefined),
      'the webhook request',
    );

    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['user-agent']).toMatch(/^Mailscope\/\d+\.\d+\.\d+/);
    const body = request?.body ?? {};
    expect(body.ID).toBe(sent.id);
    expect(body.MessageID).toBe('hook-1@example.test');
    expect(body.Subject).toBe('Webhook test');
    expect(body.From).toEqual({ Name: 'App', Address: 'app@example.test' });
    expect(body.To).toEqual([{ Name: 'User', Address: 'user@example.test' }]);
    expect(body.Bcc).toEqual([{ Name: '', Address: 'bcc@example.test' }]);
    expect(body.Read).toBe(false);
    expect(body.Size).toBe(instance.core.store.queries.getRaw(sent.id)?.length);
    expect(body.Attachments).toBe(0);
    expect(body.Snippet).toBe('Hello from the webhook test.');
    expect(Date.parse(body.Created as string)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('retries a failing receiver', async () => {
    const receiver = await startReceiver((_request, count, response) => {
      response.statusCode = count < 3 ? 500 : 200;
      response.end();
    });
    cleanups.push(receiver.close);
    const log = createMemoryLogger();
    const instance = await startWithWebhook(receiver.url, FAST_RETRIES, log.logger);

    const sent = await send(instance);
    await instance.core.afterCommit.webhook?.idle();

    expect(receiver.requests).toHaveLength(3);
    expect(receiver.requests.map((request) => request.body.ID)).toEqual([
      sent.id,
      sent.id,
      sent.id,
    ]);
    const gaps = [1, 2].map(
      (i) => (receiver.requests[i]?.at ?? 0) - (receiver.requests[i - 1]?.at ?? 0),
    );
    // Backoff of 50 ms, then 100 ms; timers may fire a little early on a busy machine.
    expect(gaps[0]).toBeGreaterThanOrEqual(40);
    expect(gaps[1]).toBeGreaterThanOrEqual(90);
    const retries = log.lines.filter((line) => line.includes('webhook failed; retrying'));
    expect(retries).toHaveLength(2);
    expect(retries[0]).toContain(sent.id);
    expect(retries[0]).toContain('HTTP 500');
  });

  it('gives up after the last attempt and logs it', async () => {
    const receiver = await startReceiver((_request, _count, response) => {
      response.statusCode = 500;
      response.end();
    });
    cleanups.push(receiver.close);
    const log = createMemoryLogger();
    const instance = await startWithWebhook(receiver.url, FAST_RETRIES, log.logger);

    const sent = await send(instance);
    await instance.core.afterCommit.webhook?.idle();

    expect(receiver.requests).toHaveLength(3);
    const final = log.lines.filter((line) => line.includes('giving up on this message'));
    expect(final).toHaveLength(1);
    expect(final[0]).toContain(sent.id);
  });

  it('keeps to the rate limit', async () => {
    const receiver = await startReceiver((_request, _count, response) => response.end());
    cleanups.push(receiver.close);
    const instance = await startWithWebhook(receiver.url, { ...FAST_RETRIES, ratePerSecond: 10 });

    for (let i = 0; i < 3; i++) await send(instance, `rate ${i}`);
    await instance.core.afterCommit.webhook?.idle();

    expect(receiver.requests).toHaveLength(3);
    const span = (receiver.requests[2]?.at ?? 0) - (receiver.requests[0]?.at ?? 0);
    // Three requests at 10 per second start at least 2 × 100 ms apart.
    expect(span).toBeGreaterThanOrEqual(190);
  });

  it('drops messages when the queue is full', async () => {
    // The receiver never responds, so the first message keeps the worker busy.
    const receiver = await startReceiver(() => undefined);
    cleanups.push(receiver.close);
    const log = createMemoryLogger();
    const instance = await startWithWebhook(
      receiver.url,
      { ...FAST_RETRIES, timeoutMs: 5000, capacity: 2 },
      log.logger,
    );

    for (let i = 0; i < 5; i++) await send(instance, `burst ${i}`);

    const drops = log.lines.filter((line) => line.includes('webhook queue full'));
    expect(drops.length).toBeGreaterThanOrEqual(1);
    expect(drops.at(-1)).toMatch(/"droppedTotal":\d/);
  });
});

describe('webhook and SMTP replies', () => {
  /** Sends `count` messages and returns the time each reply to the final dot took. */
  async function replyTimes(instance: Instance, count: number): Promise<number[]> {
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const sent = await send(instance, `timing ${i}`);
      expect(sent.reply).toMatch(/^250 2\.0\.0 Ok: queued as /);
      times.push(sent.dataMs);
    }
    return times;
  }

  function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? 0;
  }

  it('are unaffected by a hanging receiver', async () => {
    const hanging = await startReceiver(() => undefined);
    cleanups.push(hanging.close);
    const baseline = await startInstance(['--no-starttls']);
    cleanups.push(() => baseline.close());
    const instance = await startWithWebhook(hanging.url, { ...FAST_RETRIES, timeoutMs: 3000 });

    const withoutHook = await replyTimes(baseline, 8);
    const withHook = await replyTimes(instance, 8);

    // The receiver keeps every request open for the 3 s timeout; a reply that waited for it
    // would take that long. The margin covers noise on a shared machine.
    expect(Math.max(...withHook)).toBeLessThan(1000);
    expect(median(withHook)).toBeLessThan(median(withoutHook) + 100);
    expect(hanging.requests.length).toBeGreaterThanOrEqual(1);
  });

  it('are unaffected by a failing receiver', async () => {
    const failing = await startReceiver((_request, _count, response) => {
      response.statusCode = 500;
      response.end();
    });
    cleanups.push(failing.close);
    const instance = await startWithWebhook(failing.url, FAST_RETRIES);

    const times = await replyTimes(instance, 5);
    expect(Math.max(...times)).toBeLessThan(1000);
    await instance.core.afterCommit.webhook?.idle();
    // Five messages, three attempts each.
    expect(failing.requests).toHaveLength(15);
  });

  it('closes the core promptly during a hanging request', async () => {
    const hanging = await startReceiver(() => undefined);
    cleanups.push(hanging.close);
    const instance = await startInstance(['--no-starttls', '--webhook-url', hanging.url], {
      adjust: (config) => {
        config.webhook = {
          ...(config.webhook as NonNullable<Config['webhook']>),
          timeoutMs: 30_000,
        };
      },
    });
    await send(instance);
    await waitFor(() => (hanging.requests.length > 0 ? true : undefined), 'the webhook request');

    const started = Date.now();
    await instance.close();
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('webhook options', () => {
  it('rejects a URL that is not http', () => {
    expect(() => parseCli(['--webhook-url', 'ftp://127.0.0.1/x'], {})).toThrow(
      /Invalid --webhook-url/,
    );
  });

  it('reads the limit from the environment', () => {
    const request = parseCli([], {
      MAILSCOPE_WEBHOOK_URL: 'http://127.0.0.1:9/hook',
      MAILSCOPE_WEBHOOK_LIMIT: '0',
    });
    if (request.kind !== 'run') throw new Error(`unexpected CLI request ${request.kind}`);
    expect(request.config.webhook?.ratePerSecond).toBe(0);
  });

  it('rejects an invalid limit', () => {
    expect(() =>
      parseCli(['--webhook-url', 'http://127.0.0.1:9/hook', '--webhook-limit', 'fast'], {}),
    ).toThrow(/Invalid --webhook-limit/);
  });
});
