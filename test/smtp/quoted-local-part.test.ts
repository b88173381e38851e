import { afterEach, describe, expect, it } from 'vitest';

import { maskQuotedLocalPart } from '../../src/smtp/connection-patch.js';
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

async function openSession(): Promise<RawSmtpClient> {
  harness = await startEndpoint();
  ({ client } = await RawSmtpClient.connect(harness.port));
  await client.command('EHLO client.example.test');
  return client;
}

describe('quoted local part with a space', () => {
  it('accepts "john doe"@ in MAIL FROM and RCPT TO', async () => {
    const session = await openSession();

    const mail = await session.command('MAIL FROM:<"john doe"@example.test>');
    const rcpt = await session.command('RCPT TO:<"jane q. public"@example.test>');
    await session.command('DATA');
    session.write('Subject: quoted\r\n\r\nbody\r\n.\r\n');
    const end = await session.read();

    expect(mail.code).toBe(250);
    expect(rcpt.code).toBe(250);
    expect(end.code).toBe(250);
    const delivery = harness!.target.committed[0];
    expect(delivery?.mailFrom).toBe('"john doe"@example.test');
    expect(delivery?.rcpts).toEqual(['"jane q. public"@example.test']);
  });

  it('keeps @, colon and quoted pairs inside the quotes', async () => {
    const session = await openSession();
    await session.command('MAIL FROM:<a@example.test>');

    const replies = [
      await session.command('RCPT TO:<"a@b"@example.test>'),
      await session.command('RCPT TO:<"x:y"@example.test>'),
      await session.command('RCPT TO:<"say \\"hi\\""@example.test> NOTIFY=NEVER'),
      await session.command('RCPT TO:<@relay.example.test:"route d"@example.test>'),
    ];
    await session.command('DATA');
    session.write('Subject: quoted\r\n\r\nbody\r\n.\r\n');
    await session.read();

    expect(replies.map((reply) => reply.code)).toEqual([250, 250, 250, 250]);
    expect(harness!.target.committed[0]?.rcpts).toEqual([
      '"a@b"@example.test',
      '"x:y"@example.test',
      '"say \\"hi\\""@example.test',
      '"route d"@example.test',
    ]);
  });

  it('accepts a bare quoted address without brackets', async () => {
    const session = await openSession();

    const mail = await session.command('MAIL FROM: "john doe"@example.test');

    expect(mail.code).toBe(250);
    expect(harness!.target.deliveries[0]?.mailFrom).toBe('"john doe"@example.test');
  });

  it('still rejects broken quoting with 501', async () => {
    const session = await openSession();
    await session.command('MAIL FROM:<a@example.test>');

    const unterminated = await session.command('RCPT TO:<"john doe@example.test>');
    const control = await session.command('RCPT TO:<"tab\there"@example.test>');
    const noDomain = await session.command('RCPT TO:<"john doe">');

    expect(unterminated.code).toBe(501);
    expect(control.code).toBe(501);
    expect(noDomain.code).toBe(501);
  });
});

describe('maskQuotedLocalPart', () => {
  it('replaces only a quoted local part', () => {
    expect(maskQuotedLocalPart('RCPT TO:<"a b"@x.test> NOTIFY=NEVER')).toEqual({
      masked: 'RCPT TO:<quoted@x.test> NOTIFY=NEVER',
      localPart: '"a b"',
      domain: 'x.test',
    });
    expect(maskQuotedLocalPart('RCPT TO:<ab@x.test>')).toBeNull();
    expect(maskQuotedLocalPart('RCPT TO:<"a\rb"@x.test>')).toBeNull();
  });
});
