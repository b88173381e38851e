import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { rawSourceSql, registerRawSourceFunctions } from '../../src/store/raw-source.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { RawSmtpClient, toCrlf } from '../support/raw-smtp-client.js';

let dataDir: string;
let dbPath: string;
const started: ServerProcess[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-crash-'));
  dbPath = path.join(dataDir, 'mail.db');
});

afterEach(async () => {
  for (const server of started.splice(0)) {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
  }
  await rm(dataDir, { recursive: true, force: true });
});

async function start(): Promise<ServerProcess> {
  const server = await startServerProcess(['--db', dbPath, '--data-dir', dataDir]);
  started.push(server);
  return server;
}

async function send(port: number, subject: string): Promise<{ id: string; wire: Buffer }> {
  const { client: dialogue } = await RawSmtpClient.connect(port);
  await dialogue.command('EHLO crash.example.test');
  await dialogue.command('MAIL FROM:<a@example.test>');
  await dialogue.command('RCPT TO:<b@example.test>');
  await dialogue.command('DATA');
  const message = Buffer.from(`Subject: ${subject}\r\n\r\nbody of ${subject}\r\n.dot line\r\n`);
  const reply = await dialogue.data(message);
  dialogue.destroy();
  const id = /queued as (\S+)/.exec(reply.raw)?.[1];
  if (!id) throw new Error(`message was not accepted: ${reply.raw}`);
  return { id, wire: toCrlf(message) };
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('crash recovery', () => {
  it('keeps committed messages and marks a delivery killed mid-DATA interrupted', async () => {
    const first = await start();
    const committed = [];
    for (const subject of ['one', 'two', 'three']) {
      committed.push(await send(first.smtp.port, subject));
    }

    // Open a transaction, send part of the message and a large enough body to spill
    // to a temporary file, then kill the server with SIGKILL before the final dot.
    const { client: dialogue } = await RawSmtpClient.connect(first.smtp.port);
    await dialogue.command('EHLO crash.example.test');
    await dialogue.command('MAIL FROM:<doomed@example.test>');
    await dialogue.command('RCPT TO:<b@example.test>');
    expect((await dialogue.command('DATA')).code).toBe(354);
    dialogue.write(`Subject: doomed\r\n\r\n${'x'.repeat(76)}\r\n`.repeat(30_000));

    const watcher = new Database(dbPath, { readonly: true });
    const doomedId = await waitFor(() => {
      const row = watcher
        .prepare("SELECT id FROM deliveries WHERE mail_from = 'doomed@example.test'")
        .get() as { id: string } | undefined;
      return row?.id;
    });
    watcher.close();

    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    dialogue.destroy();

    await start();
    const db = new Database(dbPath, { readonly: true });
    registerRawSourceFunctions(db);
    try {
      const doomed = db.prepare('SELECT state FROM deliveries WHERE id = ?').get(doomedId);
      expect(doomed).toEqual({ state: 'interrupted' });
      const partial = db.prepare('SELECT count(*) AS n FROM messages WHERE id = ?').get(doomedId);
      expect(partial).toEqual({ n: 0 });
      const trace = db
        .prepare('SELECT type FROM delivery_events WHERE delivery_id = ? ORDER BY seq')
        .all(doomedId)
        .map((row) => (row as { type: string }).type);
      expect(trace.at(-1)).toBe('delivery.interrupted');

      for (const message of committed) {
        const row = db
          .prepare(`SELECT ${rawSourceSql('id')} AS raw FROM messages WHERE id = ? AND staged = 0`)
          .get(message.id) as { raw: Buffer } | undefined;
        expect(row?.raw.equals(message.wire)).toBe(true);
      }
    } finally {
      db.close();
    }

    // The spill file of the killed process is gone once the new process has started.
    const runDirs = await readdir(path.join(dataDir, 'tmp'));
    expect(runDirs).toHaveLength(1);
  });

  it('keeps a second process away from a database in use', async () => {
    const first = await start();
    const { client: dialogue } = await RawSmtpClient.connect(first.smtp.port);
    await dialogue.command('EHLO first.example.test');
    await dialogue.command('MAIL FROM:<open@example.test>');
    await dialogue.command('RCPT TO:<b@example.test>');

    await expect(start()).rejects.toThrow(/in use by another Mailscope process/);

    await dialogue.command('DATA');
    const reply = await dialogue.data(Buffer.from('Subject: still mine\r\n\r\nbody\r\n'));
    expect(reply.code).toBe(250);
    dialogue.destroy();

    const db = new Database(dbPath, { readonly: true });
    try {
      const row = db
        .prepare("SELECT id, state FROM deliveries WHERE mail_from = 'open@example.test'")
        .get() as { id: string; state: string };
      expect(row.state).toBe('committed');
      const types = db
        .prepare('SELECT type FROM delivery_events WHERE delivery_id = ? ORDER BY seq')
        .all(row.id)
        .map((event) => (event as { type: string }).type);
      expect(types).not.toContain('delivery.interrupted');
    } finally {
      db.close();
    }
  });
});
