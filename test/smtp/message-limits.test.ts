import { readdir } from 'node:fs/promises';
import { Readable } from 'node:stream';

import { afterEach, describe, expect, it } from 'vitest';

import { MemoryBodyBuffer } from '../../src/delivery/body-buffer.js';
import { parseHeader } from '../../src/message/header.js';
import { DEFAULT_MESSAGE_LIMITS } from '../../src/message/limits.js';
import { LimitScanner, type LineLimits } from '../../src/smtp/limit-scanner.js';
import { readMessage } from '../../src/smtp/message-reader.js';
import { parseMessage } from '../../src/store/parse/parse-message.js';
import { RawSmtpClient, type RawReply } from '../support/raw-smtp-client.js';
import { startEndpoint, type EndpointHarness } from '../support/smtp-harness.js';

let harness: EndpointHarness | null = null;
let client: RawSmtpClient | null = null;

afterEach(async () => {
  client?.destroy();
  client = null;
  await harness?.stop();
  harness = null;
});

const SMALL_LIMITS: LineLimits = { maxHeaderSize: 1000, maxHeaderLines: 20, maxLineLength: 4000 };

/** Sends one message (already CRLF and dot-stuffed) and returns the reply to the final dot. */
async function send(session: RawSmtpClient, message: string): Promise<RawReply> {
  await session.command('MAIL FROM:<a@example.test>');
  await session.command('RCPT TO:<b@example.test>');
  await session.command('DATA');
  session.write(message);
  session.write('.\r\n');
  return session.read(15_000);
}

async function openSession(): Promise<RawSmtpClient> {
  harness = await startEndpoint({ ...SMALL_LIMITS, spillThreshold: 1024 });
  ({ client } = await RawSmtpClient.connect(harness.port));
  await client.command('EHLO client.example.test');
  return client;
}

/** Sends a message over a limit, then a good one on the same session. */
async function overLimitThenGood(message: string): Promise<[RawReply, RawReply]> {
  const session = await openSession();
  const rejected = await send(session, message);
  const accepted = await send(session, 'Subject: fine\r\n\r\nbody\r\n');
  return [rejected, accepted];
}

function expectAbortedThenCommitted(detail: string): void {
  const [first, second] = harness!.target.deliveries;
  expect(first?.state).toBe('aborted');
  expect(first?.abortReason?.kind).toBe('size-limit');
  expect(first?.abortReason?.detail).toContain(detail);
  expect(first?.body).toBeNull();
  expect(second?.state).toBe('committed');
}

describe('header and line limits', () => {
  it('rejects a header block over its size with 552', async () => {
    const header = `Subject: big\r\nX-Long: ${'a'.repeat(900)}\r\nX-More: ${'b'.repeat(200)}\r\n`;

    const [rejected, accepted] = await overLimitThenGood(`${header}\r\nbody\r\n`);

    expect(rejected.raw).toBe(
      '552 5.3.4 Error: message header exceeds fixed maximum size of 1000 bytes',
    );
    expect(accepted.code).toBe(250);
    expectAbortedThenCommitted('552 5.3.4');
    expect(await readdir(harness!.spillDir)).toEqual([]);
  });

  it('rejects too many header lines with 552', async () => {
    const header = Array.from({ length: 21 }, (_, i) => `X-H${i}: v\r\n`).join('');

    const [rejected, accepted] = await overLimitThenGood(`${header}\r\nbody\r\n`);

    expect(rejected.raw).toBe('552 5.3.4 Error: message header exceeds fixed maximum of 20 lines');
    expect(accepted.code).toBe(250);
    expectAbortedThenCommitted('20 lines');
  });

  it('counts continuation lines as header lines', async () => {
    const folded = `Subject: folded\r\n${'  more\r\n'.repeat(20)}`;

    const [rejected] = await overLimitThenGood(`${folded}\r\nbody\r\n`);

    expect(rejected.code).toBe(552);
  });

  it('rejects a body line over the line length with 554', async () => {
    const message = `Subject: long line\r\n\r\nshort\r\n${'x'.repeat(4001)}\r\nend\r\n`;

    const [rejected, accepted] = await overLimitThenGood(message);

    expect(rejected.raw).toBe(
      '554 5.6.0 Error: line 4 of the message exceeds fixed maximum line length of 4000 bytes',
    );
    expect(accepted.code).toBe(250);
    expectAbortedThenCommitted('line 4');
    expect(await readdir(harness!.spillDir)).toEqual([]);
  });

  it('accepts a line of exactly the maximum length', async () => {
    const session = await openSession();

    const reply = await send(session, `Subject: edge\r\n\r\n${'x'.repeat(4000)}\r\n`);

    expect(reply.code).toBe(250);
  });

  it('takes a long first line without a colon as body, not header', async () => {
    const session = await openSession();
    const firstLine = `Lorem ipsum ${'dolor '.repeat(500)}`;

    const reply = await send(session, `${firstLine}\r\nsecond line\r\n`);

    expect(firstLine.length).toBeGreaterThan(SMALL_LIMITS.maxHeaderSize);
    expect(reply.code).toBe(250);
    const delivery = harness!.target.committed[0];
    expect(delivery?.header?.fields).toEqual([]);
    expect(delivery?.header?.bodyOffset).toBe(0);
    expect(delivery?.body?.toString()).toBe(`${firstLine}\r\nsecond line\r\n`);
  });

  it('names the line limit for a first line over it', async () => {
    const session = await openSession();

    const reply = await send(session, `${'y'.repeat(5000)}\r\n`);

    expect(reply.raw).toContain('554 5.6.0 Error: line 1 of the message exceeds');
  });
});

describe('command line limit', () => {
  it('closes the session on a command line over 16 KiB', async () => {
    harness = await startEndpoint();
    ({ client } = await RawSmtpClient.connect(harness.port));

    client.write(`NOOP ${'a'.repeat(17_000)}\r\n`);
    const reply = await client.read();

    expect(reply.raw).toBe('421 4.4.2 Error: Command line too long');
    await client.waitForClose();
  });
});

describe('readMessage over a limit', () => {
  it('keeps nothing of a 32 MiB line', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const stream = Readable.from(
      (function* () {
        yield Buffer.from('Subject: flood\r\n\r\n');
        for (let i = 0; i < 512; i++) yield chunk;
        yield Buffer.from('\r\n');
      })(),
    );
    const spillDir = (await import('node:os')).tmpdir();
    const before = new Set(await readdir(spillDir));

    const result = await readMessage(stream, {
      ...DEFAULT_MESSAGE_LIMITS,
      spillDir,
      spillThreshold: 1024,
      maxMessageSize: 64 * 1024 * 1024,
    });

    expect(result.kind).toBe('limit-exceeded');
    const leftover = (await readdir(spillDir)).filter(
      (name) => !before.has(name) && name.startsWith(`body-${process.pid}-`),
    );
    expect(leftover).toEqual([]);
  });
});

describe('LimitScanner', () => {
  const cases: Array<[string, string, string | null]> = [
    ['blank line ends the header', 'A: 1\r\n\r\n' + 'z'.repeat(30) + '\r\n', null],
    ['header lines over', 'A: 1\r\nB: 2\r\nC: 3\r\n\r\nbody\r\n', 'header-lines'],
    ['body line over', 'A: 1\r\n\r\n' + 'z'.repeat(41) + '\r\n', 'line-length'],
    [
      'header size over',
      'A: ' + 'q'.repeat(30) + '\r\nB: ' + 'q'.repeat(30) + '\r\n',
      'header-size',
    ],
    ['first line is body', 'no colon here ' + 'w'.repeat(20) + '\r\n' + 'C: 3\r\n'.repeat(5), null],
    ['CR before LF is the line end', 'A: 1\r\n\r\n' + 'z'.repeat(40) + '\r\n', null],
    ['mbox From line is header', 'From a@b Mon\r\nA: 1\r\nB: 2\r\n\r\n', 'header-lines'],
    ['byte order mark', '\ufeffA: 1\r\n\r\nbody\r\n', null],
    ['LF only', 'A: 1\nB: 2\nC: 3\n\nbody\n', 'header-lines'],
  ];
  const limits: LineLimits = { maxHeaderSize: 60, maxHeaderLines: 2, maxLineLength: 40 };

  it.each(cases)('%s', (_name, text, expected) => {
    const bytes = Buffer.from(text);
    const scanner = new LimitScanner(limits);
    const whole = scanner.add(bytes);
    expect(whole?.limit ?? null).toBe(expected);
    if (expected === null) {
      // The header parser finds the same end from the bytes the scanner names.
      const length = scanner.headerParseLength ?? bytes.length;
      const fromHead = parseHeader(bytes.subarray(0, length));
      const fromWhole = parseHeader(bytes);
      expect(fromHead.bodyOffset).toBe(fromWhole.bodyOffset);
      expect(fromHead.fields).toEqual(fromWhole.fields);
      expect(fromHead.endedByBlankLine).toBe(fromWhole.endedByBlankLine);
      expect(fromHead.warnings).toEqual(fromWhole.warnings);
    }

    // Every split into two chunks finds the same violation.
    for (let cut = 1; cut < bytes.length; cut++) {
      const scanner = new LimitScanner(limits);
      scanner.add(bytes.subarray(0, cut));
      scanner.add(bytes.subarray(cut));
      expect(scanner.exceeded?.limit ?? null).toBe(expected);
    }
  });
});

describe('header limits and the MIME splitter', () => {
  it('parses a header block at the line limit without a splitter error', async () => {
    const lines = DEFAULT_MESSAGE_LIMITS.maxHeaderLines - 1;
    const message = Buffer.from(`Subject: many\r\n${'X-A: b\r\n'.repeat(lines)}\r\nbody text\r\n`);
    expect(new LimitScanner(DEFAULT_MESSAGE_LIMITS).add(message)).toBeNull();

    const parsed = await parseMessage(new MemoryBodyBuffer(message), parseHeader(message), 0);

    expect(parsed.warnings).toEqual([]);
    expect(parsed.subject).toBe('many');
    expect(parsed.text?.trim()).toBe('body text');
  });
});
