import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';

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

/** Builds a message of `size` bytes: headers, then base64 lines of 76 characters. */
function messageOfSize(size: number): string {
  const header = 'From: a@example.test\r\nTo: b@example.test\r\nSubject: sized\r\n\r\n';
  const base64 = randomBytes(size).toString('base64');
  const lines = base64.match(/.{1,76}/g) ?? [];
  return (header + lines.join('\r\n') + '\r\n').slice(0, size - 2) + '\r\n';
}

describe('SmtpEndpoint size limit of 1024 bytes', () => {
  it('advertises SIZE 1024 and the other extensions', async () => {
    harness = await startEndpoint({ maxMessageSize: 1024 });
    ({ client } = await RawSmtpClient.connect(harness.port));

    const ehlo = await client.command('EHLO client.example.test');

    expect(ehlo.lines).toContain('SIZE 1024');
    for (const extension of ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES']) {
      expect(ehlo.lines).toContain(extension);
    }
    expect(ehlo.lines).toContain('AUTH PLAIN LOGIN');
  });

  it('rejects oversized mail once, then accepts more', async () => {
    harness = await startEndpoint({ maxMessageSize: 1024 });
    ({ client } = await RawSmtpClient.connect(harness.port));
    await client.command('EHLO client.example.test');

    // (a) No SIZE parameter, then about 5 KB of DATA.
    await client.command('MAIL FROM:<a@example.test>');
    await client.command('RCPT TO:<b@example.test>');
    expect((await client.command('DATA')).code).toBe(354);
    client.write(messageOfSize(5000));
    client.write('.\r\n');
    const oversized = await client.read();
    const noop = await client.command('NOOP');

    // (b) A declared SIZE over the limit is refused at MAIL FROM.
    const declared = await client.command('MAIL FROM:<a@example.test> SIZE=500000');

    // (c) A 500-byte message on the same connection.
    await client.command('MAIL FROM:<a@example.test> SIZE=500');
    await client.command('RCPT TO:<b@example.test>');
    await client.command('DATA');
    client.write(messageOfSize(500));
    client.write('.\r\n');
    const small = await client.read();

    expect(oversized.raw).toBe(
      '552 5.3.4 Error: message exceeds fixed maximum message size of 1024 bytes',
    );
    expect(noop.raw).toBe('250 2.0.0 OK');
    expect(declared.code).toBe(552);
    expect(declared.raw).toContain('5.3.4');
    expect(small.code).toBe(250);

    const [first, second] = harness.target.deliveries;
    expect(harness.target.deliveries).toHaveLength(2);
    expect(first?.abortReason?.kind).toBe('size-limit');
    expect(first?.abortReason?.detail).toContain('1024');
    expect(second?.state).toBe('committed');
    expect(second?.meta.mailFrom.size).toBe(500);
    expect(await readdir(harness.spillDir)).toEqual([]);
  });

  it('accepts a message of exactly the limit', async () => {
    harness = await startEndpoint({ maxMessageSize: 1024 });
    ({ client } = await RawSmtpClient.connect(harness.port));
    await client.command('EHLO client.example.test');
    await client.command('MAIL FROM:<a@example.test>');
    await client.command('RCPT TO:<b@example.test>');
    await client.command('DATA');
    const message = messageOfSize(1024);

    client.write(message + '.\r\n');
    const reply = await client.read();

    expect(Buffer.byteLength(message)).toBe(1024);
    expect(reply.code).toBe(250);
  });

  it('answers 552 for a header block over its own limit', async () => {
    harness = await startEndpoint({ maxHeaderSize: 4096 });
    ({ client } = await RawSmtpClient.connect(harness.port));
    await client.command('EHLO client.example.test');
    await client.command('MAIL FROM:<a@example.test>');
    await client.command('RCPT TO:<b@example.test>');
    await client.command('DATA');
    const folded = Array.from({ length: 200 }, (_, i) => ` <id-${i}@example.test>`).join('\r\n');

    client.write(`Subject: huge header\r\nReferences:${folded}\r\n\r\nbody\r\n.\r\n`);
    const reply = await client.read();

    expect(reply.raw).toBe(
      '552 5.3.4 Error: message header exceeds fixed maximum size of 4096 bytes',
    );
    expect(harness.target.deliveries[0]?.abortReason?.kind).toBe('size-limit');
  });
});
