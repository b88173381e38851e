import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { parseCli } from '../../src/config.js';
import { startCore, type Core } from '../../src/core.js';
import { SmtpError } from '../../src/delivery/smtp-error.js';
import { createLogger } from '../../src/log.js';
import { MAX_MIME_DEPTH, MAX_MIME_PARTS } from '../../src/store/parse/parser-options.js';
import { SmtpDialogue } from '../support/smtp-dialogue.js';
import { deliver, makeTempDir, openHarness, type Harness } from './helpers.js';

/** Builds a multipart/mixed message with `leaves` short text parts: `leaves + 1` parts. */
export function manyPartsMessage(leaves: number): Buffer {
  const lines = [
    'From: a@example.test',
    'To: b@example.test',
    `Subject: ${leaves} leaves`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="many"',
    '',
  ];
  for (let index = 1; index <= leaves; index += 1) {
    lines.push('--many', 'Content-Type: text/plain', '', `part ${index}`);
  }
  lines.push('--many--', '');
  return Buffer.from(lines.join('\r\n'));
}

/** Builds a message with `containers` multipart containers nested in a chain, and one leaf. */
export function nestedMessage(containers: number): Buffer {
  const lines = ['From: a@example.test', 'To: b@example.test', `Subject: ${containers} levels`];
  lines.push('MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"', '');
  for (let level = 2; level <= containers; level += 1) {
    lines.push(`--b${level - 1}`, `Content-Type: multipart/mixed; boundary="b${level}"`, '');
  }
  lines.push(`--b${containers}`, 'Content-Type: text/plain', '', 'innermost text');
  for (let level = containers; level >= 1; level -= 1) lines.push(`--b${level}--`);
  lines.push('');
  return Buffer.from(lines.join('\r\n'));
}

function visibleMessages(db: Database.Database): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
}

describe('MIME limits in the store', () => {
  let harness: Harness;
  let remove: () => Promise<void>;

  beforeEach(async () => {
    const temp = await makeTempDir();
    remove = temp.remove;
    harness = openHarness({ path: path.join(temp.dir, 'mail.db') });
  });

  afterEach(async () => {
    harness.close();
    await remove();
  });

  it('stores a message with the maximum part count', async () => {
    const id = await deliver(harness, manyPartsMessage(MAX_MIME_PARTS - 1));

    expect(harness.store.queries.listParts(id)).toHaveLength(MAX_MIME_PARTS);
  });

  it('rejects one part more with 552', async () => {
    const error = await deliver(harness, manyPartsMessage(MAX_MIME_PARTS)).catch(
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(SmtpError);
    expect((error as SmtpError).code).toBe(552);
    expect((error as SmtpError).enhancedCode).toBe('5.3.4');
    expect((error as SmtpError).message).toBe(
      `Error: the message has more than ${MAX_MIME_PARTS} MIME parts, the maximum Mailscope accepts`,
    );
    expect(visibleMessages(harness.store.db)).toBe(0);
  });

  it('stores a message nested to the maximum depth', async () => {
    const id = await deliver(harness, nestedMessage(MAX_MIME_DEPTH));

    const parts = harness.store.queries.listParts(id);
    expect(parts).toHaveLength(MAX_MIME_DEPTH + 1);
    expect(harness.store.queries.getMessage(id)?.text).toContain('innermost text');
  });

  it('rejects one level deeper with 552', async () => {
    const error = await deliver(harness, nestedMessage(MAX_MIME_DEPTH + 1)).catch(
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(SmtpError);
    expect((error as SmtpError).code).toBe(552);
    expect((error as SmtpError).message).toBe(
      `Error: the message nests multipart parts more than ${MAX_MIME_DEPTH} levels deep, ` +
        'the maximum Mailscope accepts',
    );
    expect(visibleMessages(harness.store.db)).toBe(0);
  });

  it('rejects a very deep message quickly', async () => {
    const started = Date.now();
    const error = await deliver(harness, nestedMessage(20_000)).catch((caught: unknown) => caught);

    expect((error as SmtpError).code).toBe(552);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('rejects 50,000 parts quickly', async () => {
    const started = Date.now();
    const error = await deliver(harness, manyPartsMessage(50_000)).catch(
      (caught: unknown) => caught,
    );

    expect((error as SmtpError).code).toBe(552);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('MIME limits over SMTP', () => {
  let dataDir: string;
  let core: Core;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-mime-limits-'));
    const request = parseCli(
      ['--smtp', '127.0.0.1:0', '--http', '127.0.0.1:0', '--data-dir', dataDir, '--no-starttls'],
      {},
    );
    if (request.kind !== 'run') throw new Error('unexpected CLI request');
    core = await startCore(request.config, createLogger({ level: 'silent' }));
  });

  afterAll(async () => {
    await core?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function send(dialogue: SmtpDialogue, message: Buffer): Promise<string> {
    expect(await dialogue.command('MAIL FROM:<a@example.test>')).toMatch(/^250/);
    expect(await dialogue.command('RCPT TO:<b@example.test>')).toMatch(/^250/);
    expect(await dialogue.command('DATA')).toMatch(/^354/);
    return dialogue.data(message);
  }

  it.each([
    ['too many parts', manyPartsMessage(MAX_MIME_PARTS), `more than ${MAX_MIME_PARTS} MIME parts`],
    ['too deep a nesting', nestedMessage(MAX_MIME_DEPTH + 1), `${MAX_MIME_DEPTH} levels deep`],
  ])('answers %s with 552 and keeps the session', async (_case, message, reason) => {
    const dialogue = await SmtpDialogue.connect(core.smtpAddress.port);
    try {
      await dialogue.command('EHLO limits.example.test');
      const before = core.store.queries.counts().messages;

      const reply = await send(dialogue, message);
      expect(reply).toMatch(/^552 5\.3\.4 Error: /);
      expect(reply).toContain(reason);
      expect(core.store.queries.counts().messages).toBe(before);

      const next = await send(dialogue, manyPartsMessage(2));
      expect(next).toMatch(/^250 2\.0\.0 Ok: queued as /);
      expect(core.store.queries.counts().messages).toBe(before + 1);
    } finally {
      dialogue.destroy();
    }
  });
});
