import { afterEach, describe, expect, it } from 'vitest';

import { headerValue } from '../../src/message/header.js';
import { bracketBareAddress } from '../../src/smtp/connection-patch.js';
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

const MULTIPART_MESSAGE =
  'From: a@example.test\r\n' +
  'To: b@example.test\r\n' +
  'Subject: legacy sender\r\n' +
  'MIME-Version: 1.0\r\n' +
  'Content-Type: multipart/mixed; boundary="=_m 1_="\r\n' +
  '\r\n' +
  '--=_m 1_=\r\n' +
  'Content-Type: text/plain\r\n' +
  '\r\n' +
  'hello from an embedded mailer\r\n' +
  '--=_m 1_=--\r\n';

describe('bracketBareAddress', () => {
  it.each([
    ['MAIL FROM: a@example.test', 'MAIL FROM:<a@example.test>'],
    ['MAIL FROM:a@example.test SIZE=10', 'MAIL FROM:<a@example.test> SIZE=10'],
    ['rcpt to:   b@example.test', 'rcpt to:<b@example.test>'],
    ['MAIL  FROM: <a@example.test>', 'MAIL FROM:<a@example.test>'],
    ['MAIL FROM:<>', 'MAIL FROM:<>'],
    ['MAIL FROM:', 'MAIL FROM:'],
    ['NOOP a@example.test', 'NOOP a@example.test'],
  ])('rewrites %j as %j', (command, expected) => {
    expect(bracketBareAddress(command)).toBe(expected);
  });
});

describe('SmtpEndpoint command leniency', () => {
  it('accepts MAIL FROM and RCPT TO without angle brackets', async () => {
    harness = await startEndpoint();
    ({ client } = await RawSmtpClient.connect(harness.port));

    const helo = await client.command('HELO legacy.example.test');
    const mail = await client.command('MAIL FROM: a@example.test');
    const rcpt = await client.command('RCPT TO: b@example.test');
    const data = await client.command('DATA');
    client.write(MULTIPART_MESSAGE + '.\r\n');
    const queued = await client.read();

    expect(helo.code).toBe(250);
    expect(mail.raw).toBe('250 2.1.0 Accepted');
    expect(rcpt.raw).toBe('250 2.1.5 Accepted');
    expect(data.code).toBe(354);
    expect(queued.code).toBe(250);
    const [delivery] = harness.target.committed;
    expect(delivery?.mailFrom).toBe('a@example.test');
    expect(delivery?.rcpts).toEqual(['b@example.test']);
    expect(delivery?.meta.conn.protocol).toBe('SMTP');
    expect(delivery?.meta.conn.heloName).toBe('legacy.example.test');
    expect(delivery?.body?.toString()).toBe(MULTIPART_MESSAGE);
    expect(headerValue(delivery!.header!, 'Content-Type')).toBe(
      'multipart/mixed; boundary="=_m 1_="',
    );
  });

  it('keeps HELO name and address as sent', async () => {
    harness = await startEndpoint();
    ({ client } = await RawSmtpClient.connect(harness.port));

    await client.command('EHLO Legacy.Example.TEST');
    await client.command('MAIL FROM:<@relay.example.test:Alice@Example.TEST> BODY=8BITMIME');

    const meta = harness.target.deliveries[0]?.meta;
    expect(meta?.conn.heloName).toBe('Legacy.Example.TEST');
    expect(meta?.originalFrom).toBe('Alice@Example.TEST');
    expect(meta?.mailFrom.body).toBe('8BITMIME');
    expect(meta?.mailFrom.all).toEqual({ BODY: '8BITMIME' });
  });

  it('survives junk commands', async () => {
    harness = await startEndpoint();
    ({ client } = await RawSmtpClient.connect(harness.port));
    await client.command('EHLO client.example.test');

    const badMail = await client.command('MAIL FROM: <a@example.test');
    const rcptFirst = await client.command('RCPT TO:<b@example.test>');
    const dataFirst = await client.command('DATA');
    const junk = [
      await client.command('Subject: this header arrived as a command'),
      await client.command('Content-Type: text/plain'),
      await client.command('hello world'),
      await client.command('.'),
    ];
    const rset = await client.command('RSET');
    await client.command('MAIL FROM:<a@example.test>');
    await client.command('RCPT TO:<b@example.test>');
    await client.command('DATA');
    client.write('Subject: after the junk\r\n\r\nbody\r\n.\r\n');
    const queued = await client.read();

    expect(badMail.code).toBe(501);
    expect(rcptFirst.code).toBe(503);
    expect(dataFirst.code).toBe(503);
    expect(junk.map((reply) => reply.code)).toEqual([500, 500, 500, 500]);
    expect(rset.code).toBe(250);
    expect(queued.code).toBe(250);
    expect(harness.target.committed).toHaveLength(1);
    expect(headerValue(harness.target.committed[0]!.header!, 'Subject')).toBe('after the junk');
  });

  it('answers pipelined commands in order', async () => {
    harness = await startEndpoint();
    ({ client } = await RawSmtpClient.connect(harness.port));
    await client.command('EHLO client.example.test');

    client.write(
      'MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nRCPT TO:<c@example.test>\r\nDATA\r\n',
    );
    const replies = [
      await client.read(),
      await client.read(),
      await client.read(),
      await client.read(),
    ];
    client.write('Subject: pipelined\r\n\r\nbody\r\n.\r\nQUIT\r\n');
    const queued = await client.read();
    const bye = await client.read();

    expect(replies.map((reply) => reply.code)).toEqual([250, 250, 250, 354]);
    expect(queued.code).toBe(250);
    expect(bye.code).toBe(221);
    expect(harness.target.committed[0]?.rcpts).toEqual(['b@example.test', 'c@example.test']);
  });
});
