import { afterEach, describe, expect, it } from 'vitest';

import { SmtpError } from '../../src/delivery/smtp-error.js';
import { RawSmtpClient } from '../support/raw-smtp-client.js';
import {
  startEndpoint,
  type EndpointHarness,
  type HarnessOptions,
} from '../support/smtp-harness.js';

let harness: EndpointHarness | null = null;
let client: RawSmtpClient | null = null;

afterEach(async () => {
  client?.destroy();
  client = null;
  await harness?.stop();
  harness = null;
});

/** Starts an endpoint, connects, and opens a transaction with one accepted recipient. */
async function openTransaction(options: HarnessOptions = {}): Promise<RawSmtpClient> {
  harness = await startEndpoint(options);
  ({ client } = await RawSmtpClient.connect(harness.port));
  expect((await client.command('EHLO client.example.test')).code).toBe(250);
  expect((await client.command('MAIL FROM:<a@example.test>')).code).toBe(250);
  expect((await client.command('RCPT TO:<b@example.test>')).code).toBe(250);
  return client;
}

describe('SmtpEndpoint transaction aborts', () => {
  it('relays a recipient rejection', async () => {
    harness = await startEndpoint();
    harness.target.rcptError = (address) =>
      address === 'nobody@example.test' ? new SmtpError(550, '5.1.1', 'No such user here') : null;
    ({ client } = await RawSmtpClient.connect(harness.port));
    await client.command('EHLO client.example.test');
    await client.command('MAIL FROM:<a@example.test>');

    const reply = await client.command('RCPT TO:<nobody@example.test>');
    const accepted = await client.command('RCPT TO:<b@example.test>');

    expect(reply.raw).toBe('550 5.1.1 No such user here');
    expect(accepted.raw).toBe('250 2.1.5 Accepted');
  });

  it('aborts with client-reset on RSET', async () => {
    client = await openTransaction();

    const reply = await client.command('RSET');

    expect(reply.code).toBe(250);
    await harness!.target.waitFor(() => harness!.target.aborted.length === 1);
    expect(harness!.target.aborted[0]?.abortReason?.kind).toBe('client-reset');
    expect(harness!.target.aborted[0]?.abortReason?.detail).toContain('RSET');
  });

  it('aborts with client-reset on a second EHLO', async () => {
    client = await openTransaction();

    await client.command('EHLO client.example.test');

    await harness!.target.waitFor(() => harness!.target.aborted.length === 1);
    expect(harness!.target.aborted[0]?.abortReason?.kind).toBe('client-reset');
  });

  it('keeps the transaction open after a rejected EHLO', async () => {
    client = await openTransaction();

    const reply = await client.command('EHLO');

    expect(reply.code).toBe(501);
    expect(harness!.target.aborted).toHaveLength(0);
  });

  it('starts a new transaction on a second MAIL FROM', async () => {
    client = await openTransaction();

    const mail = await client.command('MAIL FROM:<c@example.test>');
    await client.command('RCPT TO:<d@example.test>');
    await client.command('DATA');
    client.write('Subject: second\r\n\r\nbody\r\n.\r\n');
    const queued = await client.read();

    const [first, second] = harness!.target.deliveries;
    expect(mail.raw).toBe('250 2.1.0 Accepted');
    expect(first?.state).toBe('aborted');
    expect(first?.abortReason?.kind).toBe('new-transaction');
    expect(second?.mailFrom).toBe('c@example.test');
    expect(second?.rcpts).toEqual(['d@example.test']);
    expect(second?.state).toBe('committed');
    expect(queued.raw).toBe(`250 2.0.0 Ok: queued as ${second?.meta.id}`);
  });

  it('aborts the old transaction before the new one starts', async () => {
    client = await openTransaction();

    await client.command('MAIL FROM:<c@example.test>');

    const stages = harness!.target.calls.map((call) => call.stage);
    expect(stages).toEqual(['start', 'addRcpt', 'abort', 'start']);
  });

  it('aborts on a close mid-DATA', async () => {
    client = await openTransaction();
    await client.command('DATA');
    client.write('Subject: cut off\r\n\r\npart of the body\r\n');

    client.socket.end();

    await harness!.target.waitFor(() => harness!.target.aborted.length === 1);
    const [delivery] = harness!.target.deliveries;
    expect(delivery?.abortReason?.kind).toBe('client-disconnected');
    expect(harness!.target.committed).toHaveLength(0);
  });

  it('aborts on a TCP reset mid-DATA', async () => {
    client = await openTransaction();
    await client.command('DATA');
    client.write('Subject: reset\r\n\r\npart of the body\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));

    client.resetAndDestroy();

    await harness!.target.waitFor(() => harness!.target.aborted.length === 1);
    expect(harness!.target.deliveries[0]?.abortReason?.kind).toBe('client-disconnected');
    // The endpoint still serves new connections.
    const { client: next, greeting } = await RawSmtpClient.connect(harness!.port);
    expect(greeting.code).toBe(220);
    next.destroy();
  });

  it('aborts on a close without QUIT', async () => {
    client = await openTransaction();

    client.destroy();

    await harness!.target.waitFor(() => harness!.target.aborted.length === 1);
    expect(harness!.target.deliveries[0]?.abortReason?.kind).toBe('client-disconnected');
  });

  it('aborts on idle timeout', async () => {
    client = await openTransaction({ idleTimeoutMs: 300 });

    const reply = await client.read(5000);
    await client.waitForClose();

    expect(reply.code).toBe(421);
    await harness!.target.waitFor(() => harness!.target.aborted.length === 1);
    expect(harness!.target.deliveries[0]?.abortReason?.kind).toBe('timeout');
  });

  it('aborts on idle timeout mid-DATA', async () => {
    client = await openTransaction({ idleTimeoutMs: 300 });
    await client.command('DATA');
    client.write('Subject: stalled\r\n\r\n');

    const reply = await client.read(5000);

    expect(reply.code).toBe(421);
    await harness!.target.waitFor(() => harness!.target.aborted.length === 1);
    expect(harness!.target.deliveries[0]?.abortReason?.kind).toBe('timeout');
  });

  it('aborts on shutdown with 421', async () => {
    client = await openTransaction();

    const closing = harness!.endpoint.close('Mailscope is quitting.');
    const reply = await client.read();
    await client.waitForClose();
    await closing;

    expect(reply.raw).toBe('421 4.3.2 Server shutting down');
    expect(harness!.target.deliveries[0]?.abortReason).toEqual({
      kind: 'server-shutdown',
      detail: 'Mailscope is quitting.',
    });
  });

  it('aborts on shutdown mid-DATA', async () => {
    client = await openTransaction();
    await client.command('DATA');
    client.write('Subject: interrupted\r\n\r\n');

    const closing = harness!.endpoint.close();
    const reply = await client.read();
    await closing;

    expect(reply.code).toBe(421);
    expect(harness!.target.deliveries[0]?.abortReason?.kind).toBe('server-shutdown');
    expect(harness!.target.committed).toHaveLength(0);
  });

  it('aborts after a pending addRcpt', async () => {
    harness = await startEndpoint();
    harness.target.delayMs = { addRcpt: 200 };
    ({ client } = await RawSmtpClient.connect(harness.port));
    await client.command('EHLO client.example.test');
    await client.command('MAIL FROM:<a@example.test>');

    client.send('RCPT TO:<b@example.test>');
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.destroy();

    await harness.target.waitFor(() => harness!.target.aborted.length === 1);
    expect(harness.target.calls.map((call) => call.stage)).toEqual(['start', 'addRcpt', 'abort']);
    expect(harness.target.contractViolations).toEqual([]);
  });

  it('replies to a committing message before shutdown', async () => {
    client = await openTransaction();
    harness!.target.delayMs = { commit: 300 };
    await client.command('DATA');
    client.write('Subject: slow commit\r\n\r\nbody\r\n.\r\n');
    await harness!.target.waitFor(() =>
      harness!.target.calls.some((call) => call.stage === 'commit'),
    );

    const closing = harness!.endpoint.close();
    const queued = await client.read();
    const shutdown = await client.read();
    await closing;

    expect(queued.code).toBe(250);
    expect(shutdown.code).toBe(421);
    expect(harness!.target.committed).toHaveLength(1);
    expect(harness!.target.contractViolations).toEqual([]);
  });

  it('logs abort failures with ids', async () => {
    client = await openTransaction();
    harness!.target.abortError = new Error('disk went away');

    await client.command('RSET');

    const meta = harness!.target.deliveries[0]!.meta;
    await harness!.target.waitFor(() =>
      harness!.logLines.some((line) => line.includes('target failed to abort')),
    );
    const line = JSON.parse(
      harness!.logLines.find((entry) => entry.includes('target failed to abort'))!,
    ) as Record<string, unknown>;
    expect(line.cid).toBe(meta.conn.sessionId);
    expect(line.msgId).toBe(meta.id);
    expect((await client.command('NOOP')).code).toBe(250);
  });
});
