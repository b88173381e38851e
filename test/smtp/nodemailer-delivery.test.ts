import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';

import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';

import { headerValue } from '../../src/message/header.js';
import { startEndpoint, type EndpointHarness } from '../support/smtp-harness.js';

let harness: EndpointHarness | null = null;

afterEach(async () => {
  await harness?.stop();
  harness = null;
});

function transportFor(port: number) {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('SmtpEndpoint with nodemailer', () => {
  it('keeps the body bytes exactly', async () => {
    harness = await startEndpoint();
    const raw = Buffer.from(
      'From: Alice <a@example.test>\r\n' +
        'To: b@example.test\r\n' +
        'Subject: dots\r\n' +
        '\r\n' +
        'first line\r\n' +
        '.a line that starts with a dot\r\n' +
        '..two dots\r\n' +
        '.\r\n' +
        'last line\r\n',
    );

    const info = await transportFor(harness.port).sendMail({
      envelope: { from: 'a@example.test', to: ['b@example.test'] },
      raw,
    });

    const [delivery] = harness.target.committed;
    expect(harness.target.committed).toHaveLength(1);
    expect(info.response).toBe(`250 2.0.0 Ok: queued as ${delivery?.meta.id}`);
    expect(delivery?.mailFrom).toBe('a@example.test');
    expect(delivery?.rcpts).toEqual(['b@example.test']);
    expect(delivery?.body?.equals(raw)).toBe(true);
    expect(delivery?.bodyStorage).toBe('memory');
    expect(headerValue(delivery!.header!, 'Subject')).toBe('dots');
  });

  it('fills the metadata from the session', async () => {
    harness = await startEndpoint();
    await transportFor(harness.port).sendMail({
      envelope: { from: 'a@example.test', to: ['b@example.test'] },
      raw: 'Subject: meta\r\n\r\nbody\r\n',
    });

    const meta = harness.target.committed[0]?.meta;
    expect(meta?.id).toMatch(/^[0-9A-Za-z]{22}$/);
    expect(meta?.originalFrom).toBe('a@example.test');
    expect(meta?.conn.protocol).toBe('ESMTP');
    expect(meta?.conn.remoteAddress).toBe('127.0.0.1');
    expect(meta?.conn.localPort).toBe(harness.port);
    expect(meta?.conn.tls).toBeNull();
    expect(meta?.conn.authUser).toBeNull();
    expect(meta?.conn.heloName).not.toBe('');
    expect(Date.now() - (meta?.startedAt ?? 0)).toBeLessThan(10_000);
  });

  it('spills a 1.5 MB message to a file', async () => {
    harness = await startEndpoint({ spillThreshold: 256 * 1024 });
    const attachment = randomBytes(1_100_000);
    const started = Date.now();

    const info = await transportFor(harness.port).sendMail({
      from: 'a@example.test',
      to: 'b@example.test',
      subject: 'large attachment',
      text: 'See the attachment.',
      attachments: [{ filename: 'data.bin', content: attachment }],
    });

    const elapsedMs = Date.now() - started;
    const [delivery] = harness.target.committed;
    expect(info.response).toMatch(/^250 2\.0\.0 Ok: queued as /);
    expect(delivery?.bodyStorage).toBe('file');
    expect(delivery?.body?.length).toBeGreaterThan(1_400_000);
    expect(delivery?.body?.toString('latin1')).toContain(
      attachment.toString('base64').slice(0, 76),
    );
    expect(elapsedMs).toBeLessThan(10_000);
    // The endpoint removes the spilled file once the delivery is committed.
    expect(await readdir(harness.spillDir)).toEqual([]);
  });

  it('accepts a 25 MB message byte for byte', async () => {
    harness = await startEndpoint();
    const header = 'From: a@example.test\r\nTo: b@example.test\r\nSubject: 25 MB\r\n\r\n';
    const line = `${'x'.repeat(998)}\r\n`;
    const raw = Buffer.from(header + line.repeat(25 * 1024));
    const started = Date.now();

    const info = await transportFor(harness.port).sendMail({
      envelope: { from: 'a@example.test', to: ['b@example.test'] },
      raw,
    });

    const elapsedMs = Date.now() - started;
    const [delivery] = harness.target.committed;
    expect(info.response).toMatch(/^250 2\.0\.0 /);
    expect(delivery?.bodyStorage).toBe('file');
    expect(delivery?.body?.length).toBe(raw.length);
    expect(sha256(delivery!.body!)).toBe(sha256(raw));
    expect(elapsedMs).toBeLessThan(20_000);
  });

  it('accepts a 100 KB folded header', async () => {
    harness = await startEndpoint();
    const ids = Array.from({ length: 3000 }, (_, i) => `<ref-${i}-abcdefghij@example.test>`);
    const references = ids.join('\r\n ');
    const raw = `Subject: long references\r\nReferences: ${references}\r\n\r\nbody\r\n`;

    await transportFor(harness.port).sendMail({
      envelope: { from: 'a@example.test', to: ['b@example.test'] },
      raw,
    });

    const header = harness.target.committed[0]?.header;
    expect(references.length).toBeGreaterThan(100_000);
    expect(headerValue(header!, 'References')?.split(' ')).toHaveLength(3000);
    expect(headerValue(header!, 'Subject')).toBe('long references');
  });

  it('accepts 20 parallel connections', async () => {
    harness = await startEndpoint();
    const transport = transportFor(harness.port);

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        transport.sendMail({
          envelope: { from: 'a@example.test', to: [`r${i}@example.test`] },
          raw: `Subject: parallel ${i}\r\n\r\nbody ${i}\r\n`,
        }),
      ),
    );

    const ids = new Set(harness.target.committed.map((delivery) => delivery.meta.id));
    expect(results.every((info) => info.response.startsWith('250 2.0.0'))).toBe(true);
    expect(harness.target.committed).toHaveLength(20);
    expect(ids.size).toBe(20);
  });
});
