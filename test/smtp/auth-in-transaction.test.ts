import { afterEach, describe, expect, it } from 'vitest';

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

const PLAIN_TOKEN = Buffer.from('\0u\0p').toString('base64');

describe('AUTH inside a mail transaction', () => {
  it('gets 503 and leaves the transaction intact', async () => {
    harness = await startEndpoint();
    ({ client } = await RawSmtpClient.connect(harness.port));
    await client.command('EHLO client.example.test');
    await client.command('MAIL FROM:<a@example.test>');

    const auth = await client.command(`AUTH PLAIN ${PLAIN_TOKEN}`);
    const rcpt = await client.command('RCPT TO:<b@example.test>');
    await client.command('DATA');
    client.write('Subject: after auth\r\n\r\nbody\r\n.\r\n');
    const end = await client.read();

    expect(auth.raw).toBe('503 5.5.1 Error: AUTH not permitted during a mail transaction');
    expect(rcpt.code).toBe(250);
    expect(end.code).toBe(250);
    expect(harness.target.committed[0]?.meta.conn.authUser).toBeNull();
  });

  it('is accepted again once the transaction ended', async () => {
    harness = await startEndpoint();
    ({ client } = await RawSmtpClient.connect(harness.port));
    await client.command('EHLO client.example.test');
    await client.command('MAIL FROM:<a@example.test>');
    await client.command('RSET');

    const auth = await client.command(`AUTH PLAIN ${PLAIN_TOKEN}`);

    expect(auth.code).toBe(235);
  });
});
