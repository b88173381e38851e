import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import Database from 'better-sqlite3';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { RawSmtpClient } from '../support/raw-smtp-client.js';
import { hasCommand } from '../support/commands.js';

const execFileAsync = promisify(execFile);

let dataDir: string;
let dbPath: string;
let server: ServerProcess;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-cli-'));
  dbPath = path.join(dataDir, 'mail.db');
  server = await startServerProcess(['--db', dbPath, '--data-dir', dataDir]);
});

afterAll(async () => {
  if (server.child.exitCode === null) server.child.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

function openDb(): Database.Database {
  return new Database(dbPath, { readonly: true, fileMustExist: true });
}

describe('mailscope CLI', () => {
  it('prints where it listens and where it stores data', () => {
    expect(server.output()).toContain(`Database ${dbPath}`);
    expect(server.output()).toContain(`Data     ${dataDir}`);
    expect(server.smtp.port).toBeGreaterThan(0);
    expect(server.http.port).toBeGreaterThan(0);
  });

  it('answers the health checks', async () => {
    const base = `http://${server.http.host}:${server.http.port}`;

    expect((await fetch(`${base}/livez`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('stores a message sent by nodemailer with its envelope and trace', async () => {
    const transport = nodemailer.createTransport({
      host: server.smtp.host,
      port: server.smtp.port,
      secure: false,
      ignoreTLS: true,
    });
    const info = await transport.sendMail({
      envelope: {
        from: 'app@example.test',
        to: ['to@example.test', 'hidden@example.test'],
      },
      from: 'App <app@example.test>',
      to: 'to@example.test',
      subject: 'Welcome from nodemailer',
      text: 'Hello there',
    });
    const id = /queued as (\S+)/.exec(info.response)?.[1];
    expect(id).toBeDefined();

    const db = openDb();
    try {
      const delivery = db.prepare('SELECT * FROM deliveries WHERE id = ?').get(id) as Record<
        string,
        unknown
      >;
      expect(delivery.state).toBe('committed');
      expect(delivery.mail_from).toBe('app@example.test');

      const recipients = db
        .prepare('SELECT address, status FROM recipients WHERE delivery_id = ? ORDER BY position')
        .all(id);
      expect(recipients).toEqual([
        { address: 'to@example.test', status: 'accepted' },
        { address: 'hidden@example.test', status: 'accepted' },
      ]);

      const message = db.prepare('SELECT subject FROM messages WHERE id = ?').get(id) as {
        subject: string;
      };
      expect(message.subject).toBe('Welcome from nodemailer');

      const trace = db
        .prepare('SELECT type FROM delivery_events WHERE delivery_id = ? ORDER BY seq')
        .all(id)
        .map((row) => (row as { type: string }).type);
      expect(trace).toEqual([
        'delivery.started',
        'rcpt',
        'rcpt',
        'body.received',
        'delivery.committed',
      ]);
    } finally {
      db.close();
    }
  });

  it.skipIf(!hasCommand('swaks'))('stores a message sent by swaks', async () => {
    const { stdout } = await execFileAsync('swaks', [
      '--server',
      `${server.smtp.host}:${server.smtp.port}`,
      '--from',
      'swaks@example.test',
      '--to',
      'qa@example.test',
      '--header',
      'Subject: Sent with swaks',
      '--body',
      'swaks body',
    ]);
    const id = /queued as (\S+)/.exec(stdout)?.[1];
    expect(id).toBeDefined();

    const db = openDb();
    try {
      const message = db
        .prepare(
          'SELECT m.subject, d.mail_from FROM messages m JOIN deliveries d USING (id) WHERE id = ?',
        )
        .get(id);
      expect(message).toEqual({ subject: 'Sent with swaks', mail_from: 'swaks@example.test' });
    } finally {
      db.close();
    }
  });

  it('aborts an open transaction on SIGTERM and exits cleanly', async () => {
    const { client: dialogue } = await RawSmtpClient.connect(server.smtp.port);
    await dialogue.command('EHLO shutdown.example.test');
    await dialogue.command('MAIL FROM:<late@example.test>');
    await dialogue.command('RCPT TO:<b@example.test>');
    expect((await dialogue.command('DATA')).code).toBe(354);
    dialogue.write('Subject: never finished\r\n\r\nhalf a body');
    await new Promise((resolve) => setTimeout(resolve, 200));

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    dialogue.destroy();

    const db = openDb();
    try {
      const delivery = db
        .prepare("SELECT state, abort_kind FROM deliveries WHERE mail_from = 'late@example.test'")
        .get();
      expect(delivery).toEqual({ state: 'aborted', abort_kind: 'server-shutdown' });
      const messages = db
        .prepare(
          "SELECT count(*) AS n FROM messages WHERE id IN (SELECT id FROM deliveries WHERE mail_from = 'late@example.test')",
        )
        .get();
      expect(messages).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });
});
