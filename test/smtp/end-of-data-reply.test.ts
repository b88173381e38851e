import { afterEach, describe, expect, it } from 'vitest';

import { SmtpError } from '../../src/delivery/smtp-error.js';
import { runPython } from '../support/external-clients.js';
import { RawSmtpClient } from '../support/raw-smtp-client.js';
import { startEndpoint, type EndpointHarness } from '../support/smtp-harness.js';

let harness: EndpointHarness | null = null;
let client: RawSmtpClient | null = null;

afterEach(async () => {
  client?.destroy();
  client = null;
  await harness?.stop();
  harness = null;
});

const MESSAGE =
  'From: a@example.test\r\nTo: b@example.test\r\nSubject: three lines\r\n\r\none\r\ntwo\r\nthree\r\n';

/** Runs EHLO, MAIL FROM, RCPT TO and DATA, and sends MESSAGE without the final dot. */
async function sendUpToFinalDot(port: number): Promise<RawSmtpClient> {
  const connected = await RawSmtpClient.connect(port);
  client = connected.client;
  await client.command('EHLO client.example.test');
  await client.command('MAIL FROM:<a@example.test>');
  await client.command('RCPT TO:<b@example.test>');
  expect((await client.command('DATA')).code).toBe(354);
  client.write(MESSAGE);
  return client;
}

describe('SmtpEndpoint reply to the final dot', () => {
  it('arrives promptly and commits exactly one message', async () => {
    harness = await startEndpoint();
    const session = await sendUpToFinalDot(harness.port);

    const sentAt = Date.now();
    session.write('.\r\n');
    const reply = await session.read(2000);
    const elapsedMs = Date.now() - sentAt;
    const noop = await session.command('NOOP');

    expect(reply.raw).toBe(`250 2.0.0 Ok: queued as ${harness.target.committed[0]?.meta.id}`);
    expect(elapsedMs).toBeLessThan(1000);
    expect(noop.code).toBe(250);
    expect(harness.target.committed).toHaveLength(1);
    expect(harness.target.committed[0]?.body?.toString()).toBe(MESSAGE);
  });

  it('arrives when the dot shares a packet', async () => {
    harness = await startEndpoint();
    const session = await sendUpToFinalDot(harness.port);

    session.write('more\r\n.\r\nNOOP\r\n');
    const reply = await session.read(2000);
    const noop = await session.read(2000);

    expect(reply.code).toBe(250);
    expect(noop.code).toBe(250);
    expect(harness.target.committed).toHaveLength(1);
  });

  it('is 451 when body() throws', async () => {
    harness = await startEndpoint();
    harness.target.bodyError = new Error('database is locked');
    const session = await sendUpToFinalDot(harness.port);

    session.write('.\r\n');
    const reply = await session.read(2000);
    harness.target.bodyError = null;
    await session.command('MAIL FROM:<a@example.test>');
    await session.command('RCPT TO:<b@example.test>');
    await session.command('DATA');
    session.write('Subject: retry\r\n\r\nbody\r\n.\r\n');
    const retry = await session.read(2000);

    expect(reply.raw).toBe('451 4.3.0 Local error in processing, try again later');
    expect(harness.target.deliveries[0]?.abortReason?.kind).toBe('storage-error');
    expect(retry.code).toBe(250);
    expect(harness.target.committed).toHaveLength(1);
  });

  it('carries the code of an SmtpError from body()', async () => {
    harness = await startEndpoint();
    harness.target.bodyError = new SmtpError(554, '5.6.0', 'Message rejected by a failure rule');
    const session = await sendUpToFinalDot(harness.port);

    session.write('.\r\n');
    const reply = await session.read(2000);

    expect(reply.raw).toBe('554 5.6.0 Message rejected by a failure rule');
    expect(harness.target.aborted).toHaveLength(1);
    expect(harness.target.deliveries[0]?.abortReason?.detail).toBe(
      '554 5.6.0 Message rejected by a failure rule',
    );
  });

  it('names the cause in the abort detail only', async () => {
    harness = await startEndpoint();
    harness.target.bodyError = new SmtpError(
      451,
      '4.3.0',
      'Temporary storage failure, try again later',
      { cause: new Error('database is locked') },
    );
    const session = await sendUpToFinalDot(harness.port);

    session.write('.\r\n');
    const reply = await session.read(2000);

    expect(reply.raw).toBe('451 4.3.0 Temporary storage failure, try again later');
    expect(harness.target.deliveries[0]?.abortReason?.kind).toBe('storage-error');
    expect(harness.target.deliveries[0]?.abortReason?.detail).toBe(
      '451 4.3.0 Temporary storage failure, try again later: database is locked',
    );
  });

  it('is 451 without an abort when commit() throws', async () => {
    harness = await startEndpoint();
    harness.target.commitError = new Error('disk full');
    const session = await sendUpToFinalDot(harness.port);

    session.write('.\r\n');
    const reply = await session.read(2000);

    expect(reply.code).toBe(451);
    expect(harness.target.calls.map((call) => call.stage)).toEqual([
      'start',
      'addRcpt',
      'body',
      'commit',
    ]);
    expect(harness.target.contractViolations).toEqual([]);
  });

  it('stores one message despite retries', async () => {
    harness = await startEndpoint();
    const script = `
import json, smtplib, socket, sys
args = json.load(sys.stdin)
attempts = 0
while attempts < 3:
    attempts += 1
    try:
        with smtplib.SMTP('127.0.0.1', args['port'], timeout=2) as smtp:
            smtp.sendmail('a@example.test', ['b@example.test'], args['message'])
        break
    except (socket.timeout, TimeoutError):
        continue
print(json.dumps({'attempts': attempts}))
`;

    const result = await runPython<{ attempts: number }>(script, {
      port: harness.port,
      message: MESSAGE,
    });

    expect(result.attempts).toBe(1);
    expect(harness.target.committed).toHaveLength(1);
  });
});

describe('SmtpEndpoint target failure at MAIL FROM', () => {
  it('gives 451 when start() throws', async () => {
    harness = await startEndpoint();
    harness.target.startError = new Error('SQLITE_BUSY: database is locked');
    ({ client } = await RawSmtpClient.connect(harness.port));
    await client.command('EHLO client.example.test');

    const reply = await client.command('MAIL FROM:<a@example.test>');

    expect(reply.raw).toBe('451 4.3.0 Local error in processing, try again later');
    const line = harness.logLines.find((entry) => entry.includes('target failed at MAIL FROM'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ cid: expect.any(String), msgId: expect.any(String) });
  });
});
