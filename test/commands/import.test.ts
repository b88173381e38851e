import { existsSync, readdirSync } from 'node:fs';
import { access, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ImportProgress } from '../../src/commands/progress.js';
import { startServerProcess } from '../support/server-process.js';
import {
  apiJson,
  deliveriesWithSubject,
  deliveryBySubject,
  importInProcess,
  root,
  startTestCore,
  type TestCore,
} from './helpers.js';

const fixtures = path.join(root, 'test', 'fixtures', 'import');
const mbox = path.join(fixtures, 'sample.mbox');
const maildir = path.join(fixtures, 'maildir');
const corpusDir = path.resolve(
  process.env.MAILSCOPE_CORPUS ?? path.join(root, '..', 'shared', 'corpus'),
);
const corpusMessages = path.join(corpusDir, 'messages');

let server: TestCore;
let temp: string;

beforeAll(async () => {
  server = await startTestCore(['--max-message-size', '2M']);
  temp = await mkdtemp(path.join(os.tmpdir(), 'mailscope-import-'));
});

afterAll(async () => {
  await server?.close();
  await rm(temp, { recursive: true, force: true });
});

async function messageCount(base: string): Promise<number> {
  return (await apiJson<{ messages: number }>(base, '/counts')).messages;
}

async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Returns a message of about `size` bytes with `subject`. */
function messageOfSize(subject: string, size: number): string {
  const header = `From: big@example.test\nTo: to@example.test\nSubject: ${subject}\n\n`;
  const line = `${'y'.repeat(75)}\n`;
  return header + line.repeat(Math.ceil(size / line.length));
}

describe('mailscope import through the server', () => {
  it('imports an mbox and a Maildir', async () => {
    const before = await messageCount(server.base);

    const result = await importInProcess(['--url', server.base, mbox, maildir]);

    expect(result.stdout).toBe('Imported 7 messages, skipped 0.\n');
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Importing 5 files into Mailscope at ${server.base}`);
    expect(await messageCount(server.base)).toBe(before + 7);
  });

  it('splits the mbox and unquotes mboxrd lines', async () => {
    const first = await deliveryBySubject(server.base, 'First mbox message');
    const second = await deliveryBySubject(server.base, 'Second mbox message');
    const third = await deliveryBySubject(server.base, 'Third mbox message, no recipient header');

    expect(first.detail.protocol).toBe('LOCAL');
    expect(first.detail.mailFrom).toBe('alice@example.test');
    expect(first.raw.startsWith('Return-Path: <alice@example.test>\n')).toBe(true);
    expect(first.raw).toContain('\nFrom the mbox writer: this line was quoted once.\n');
    expect(first.raw).toContain('\n>From here on, mboxrd leaves one quote.\n');
    expect(first.raw.endsWith('\nFrom within a paragraph this is no separator.\n')).toBe(true);
    expect(second.detail.recipients.map((r) => r.address)).toEqual([
      'dave@example.test',
      'erin@example.test',
    ]);
    expect(second.raw.endsWith('\n\nSecond body.\n')).toBe(true);
    expect(third.detail.recipients.map((r) => r.address)).toEqual(['local@localhost']);
  });

  it('reads Maildir cur, new and subfolders but not tmp', async () => {
    for (const subject of [
      'Maildir new message',
      'Maildir seen message',
      'Maildir replied message',
      'Maildir sent message',
    ]) {
      expect(await deliveriesWithSubject(server.base, subject), subject).toHaveLength(1);
    }
    expect(await deliveriesWithSubject(server.base, 'Maildir delivery in progress')).toEqual([]);
  });

  it('skips messages above the size limit', async () => {
    const big = path.join(temp, 'big.eml');
    await writeFile(big, messageOfSize('too big', 2.5 * 1024 * 1024));
    const mixed = path.join(temp, 'mixed.mbox');
    await writeFile(
      mixed,
      [
        'From a@example.test Mon Jan  5 10:00:00 2026',
        'From: a@example.test\nTo: b@example.test\nSubject: small before\n\nsmall\n',
        'From a@example.test Mon Jan  5 10:00:00 2026',
        messageOfSize('large in mbox', 2.5 * 1024 * 1024),
        'From a@example.test Mon Jan  5 10:00:00 2026',
        'From: a@example.test\nTo: b@example.test\nSubject: small after\n\nsmall\n',
      ].join('\n'),
    );

    const result = await importInProcess(['--url', server.base, big, mixed]);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Imported 2 messages, skipped 2.');
    expect(result.stdout).toMatch(
      /skipped .*big\.eml: \d+ bytes, more than the message size limit of 2097152 bytes/,
    );
    expect(result.stdout).toMatch(
      /skipped .*mixed\.mbox#2: \d+ bytes, more than the message size limit/,
    );
    expect(await deliveriesWithSubject(server.base, 'small before')).toHaveLength(1);
    expect(await deliveriesWithSubject(server.base, 'small after')).toHaveLength(1);
    expect(await deliveriesWithSubject(server.base, 'too big')).toEqual([]);
  });

  it('reports files that are no messages', async () => {
    const notes = path.join(temp, 'notes.txt');
    await writeFile(notes, 'Just some notes, no header here.\n');

    const result = await importInProcess([
      '--url',
      server.base,
      notes,
      path.join(temp, 'missing.eml'),
    ]);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Imported 0 messages, skipped 2.');
    expect(result.stdout).toContain('notes.txt is not an email message');
    expect(result.stdout).toMatch(/skipped .*missing\.eml: ENOENT/);
  });

  it('imports each file once through symbolic links', async () => {
    const folder = path.join(temp, 'linked');
    await mkdir(path.join(folder, 'loopdir'), { recursive: true });
    await writeFile(
      path.join(folder, 'one.eml'),
      'From: a@example.test\nTo: b@example.test\nSubject: linked once\n\nbody\n',
    );
    // A link to the parent folder makes a loop, and a second name for one.eml.
    await symlink('..', path.join(folder, 'loopdir', 'up'));
    await symlink('../one.eml', path.join(folder, 'loopdir', 'again.eml'));

    const result = await importInProcess(['--url', server.base, folder]);

    expect(result.stdout).toBe('Imported 1 message, skipped 0.\n');
    expect(result.stderr).toContain('Importing 1 file into');
    expect(result.code).toBe(0);
    expect(await deliveriesWithSubject(server.base, 'linked once')).toHaveLength(1);
  });

  it.skipIf(!existsSync(corpusMessages))(`imports the corpus in ${corpusMessages}`, async () => {
    const files = readdirSync(corpusMessages).filter((name) => name.endsWith('.eml'));
    const before = await messageCount(server.base);

    const result = await importInProcess(['--url', server.base, corpusMessages]);

    expect(result.stdout).toContain(`Imported ${files.length} messages, skipped 0.`);
    expect(result.code).toBe(0);
    expect(await messageCount(server.base)).toBe(before + files.length);
  });
});

describe('mailscope import with HTTP auth', () => {
  it('sends the --http-auth credentials', async () => {
    const guarded = await startTestCore(['--http-auth', 'importer:secret']);
    try {
      const without = await importInProcess(['--url', guarded.base, mbox]);
      const withAuth = await importInProcess(['--url', guarded.base, mbox], {
        MAILSCOPE_HTTP_AUTH: 'importer:secret',
      });

      expect(without.code).toBe(2);
      expect(without.stderr).toContain('requires HTTP credentials');
      expect(withAuth.code).toBe(0);
      expect(withAuth.stdout).toBe('Imported 3 messages, skipped 0.\n');
      expect(guarded.core.store.queries.counts().messages).toBe(3);
    } finally {
      await guarded.close();
    }
  });
});

describe('import route', () => {
  const route = () => `${server.base}/api/mailscope/import`;

  it('accepts a body above 1 MiB', async () => {
    const body = messageOfSize('route upload', 1.5 * 1024 * 1024);

    const response = await fetch(`${route()}?source=upload.eml`, { method: 'POST', body });

    expect(response.status).toBe(201);
    const result = (await response.json()) as { deliveryId: string; recipients: string[] };
    expect(result.recipients).toEqual(['to@example.test']);
    const { raw } = await deliveryBySubject(server.base, 'route upload');
    expect(raw).toBe(body);
  });

  it('answers 413 above the message size limit', async () => {
    const body = messageOfSize('route too big', 2.5 * 1024 * 1024);

    const response = await fetch(route(), { method: 'POST', body });

    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: string }).error).toContain(
      'larger than the message size limit of 2097152 bytes',
    );
  });

  it('answers 422 for a body that is no message', async () => {
    const response = await fetch(route(), { method: 'POST', body: 'no header at all\n' });

    expect(response.status).toBe(422);
    expect(((await response.json()) as { error: string }).error).toContain(
      'is not an email message',
    );
  });

  it('returns the size limit', async () => {
    expect(await apiJson(server.base, '/import')).toEqual({ maxMessageSize: 2 * 1024 * 1024 });
  });
});

describe('mailscope import into the database', () => {
  it('writes the database given by --data-dir', async () => {
    const dataDir = path.join(temp, 'direct');

    const result = await importInProcess(['--data-dir', dataDir, '--mbox-format', 'mboxo', mbox]);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Imported 3 messages, skipped 0.\n');
    expect(result.stderr).toContain(`into the database ${path.join(dataDir, 'mailscope.db')}`);

    const reader = await startTestCore(['--data-dir', dataDir]);
    try {
      expect(await messageCount(reader.base)).toBe(3);
      const { raw } = await deliveryBySubject(reader.base, 'First mbox message');
      expect(raw).toContain('\nFrom the mbox writer: this line was quoted once.\n');
      expect(raw).toContain('\n>>From here on, mboxrd leaves one quote.\n');
    } finally {
      await reader.core.close();
    }
  });

  it('stops when a server holds the database', async () => {
    // The lock treats its own process as gone, so the holder must be another process.
    const dataDir = path.join(temp, 'held');
    const holder = await startServerProcess(['--data-dir', dataDir]);
    try {
      const result = await importInProcess(['--data-dir', dataDir, mbox]);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('is in use by another Mailscope process');
      expect(result.stderr).toContain('pass --url');
    } finally {
      holder.child.kill('SIGTERM');
      await holder.exited;
    }
  });

  it('stops when --url does not respond', async () => {
    const dataDir = path.join(temp, 'unused');
    const url = `http://127.0.0.1:${await closedPort()}`;

    const result = await importInProcess(['--url', url, '--data-dir', dataDir, mbox]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`No Mailscope responded at ${url}`);
    await expect(access(path.join(dataDir, 'mailscope.db'))).rejects.toThrow();
  });

  it('exits 2 without a path', async () => {
    const result = await importInProcess([]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Name at least one file or folder to import.');
  });
});

describe('import progress', () => {
  it('draws a bar on a terminal', () => {
    const output = new PassThrough();
    Object.assign(output, { isTTY: true });
    let text = '';
    output.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    const progress = new ImportProgress(output, 2048);

    progress.addBytes(1024);
    progress.setCounts(3, 1);
    progress.inputDone('inbox.mbox');
    progress.finish();

    expect(text).toContain(
      '\r[###############---------------]  50% 1 KiB of 2 KiB, 3 imported, 1 skipped',
    );
    expect(text.endsWith('\n')).toBe(true);
  });

  it('prints counts per path elsewhere', () => {
    const output = new PassThrough();
    let text = '';
    output.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    const progress = new ImportProgress(output, 2048);

    progress.addBytes(2048);
    progress.setCounts(5, 0);
    progress.inputDone('inbox.mbox');
    progress.finish();

    expect(text).toBe('inbox.mbox: done, 5 imported and 0 skipped so far\n');
  });
});
