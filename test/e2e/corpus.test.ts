import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import Database from 'better-sqlite3';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseCli } from '../../src/config.js';
import { startCore, type Core } from '../../src/core.js';
import { createLogger } from '../../src/log.js';
import { rawSourceSql, registerRawSourceFunctions } from '../../src/store/raw-source.js';
import { SmtpDialogue, toCrlf } from '../support/smtp-dialogue.js';

/**
 * Real-world messages written by other projects, read in place. MAILSCOPE_CORPUS names
 * the folder that contains MANIFEST.tsv and messages/.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpusDir = path.resolve(
  process.env.MAILSCOPE_CORPUS ?? path.join(root, '..', 'shared', 'corpus'),
);
const manifestPath = path.join(corpusDir, 'MANIFEST.tsv');
const available = existsSync(manifestPath);

function corpusFiles(): string[] {
  const lines = readFileSync(manifestPath, 'utf8').trim().split('\n').slice(1);
  return lines.map((line) => line.split('\t')[0] as string);
}

describe.skipIf(!available)(`real-world corpus from ${corpusDir}`, () => {
  let dataDir: string;
  let core: Core;
  let dialogue: SmtpDialogue;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-corpus-'));
    const request = parseCli(
      ['--smtp', '127.0.0.1:0', '--http', '127.0.0.1:0', '--data-dir', dataDir, '--no-starttls'],
      {},
    );
    if (request.kind !== 'run') throw new Error('unexpected CLI request');
    core = await startCore(request.config, createLogger({ level: 'silent' }));
    dialogue = await SmtpDialogue.connect(core.smtpAddress.port);
    await dialogue.command('EHLO corpus.example.test');
  });

  afterAll(async () => {
    dialogue?.destroy();
    await core?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('stores every message byte-exact with its parsed subject', async () => {
    const files = corpusFiles();
    expect(files.length).toBeGreaterThan(0);

    const sent: Array<{ file: string; id: string; wire: Buffer }> = [];
    for (const file of files) {
      const wire = toCrlf(readFileSync(path.join(corpusDir, file)));
      expect(await dialogue.command('MAIL FROM:<corpus@example.test> SMTPUTF8'), file).toMatch(
        /^250/,
      );
      expect(await dialogue.command('RCPT TO:<inbox@example.test>'), file).toMatch(/^250/);
      expect(await dialogue.command('DATA'), file).toMatch(/^354/);
      const reply = await dialogue.data(wire);
      const id = /^250 2\.0\.0 Ok: queued as (\S+)/.exec(reply)?.[1];
      expect(id, `${file}: ${reply}`).toBeDefined();
      sent.push({ file, id: id as string, wire });
    }

    const db = new Database(core.store.path, { readonly: true });
    try {
      registerRawSourceFunctions(db);
      const select = db.prepare(
        `SELECT ${rawSourceSql('id')} AS raw, subject FROM messages WHERE id = ? AND staged = 0`,
      );
      for (const { file, id, wire } of sent) {
        const row = select.get(id) as { raw: Buffer; subject: string | null } | undefined;
        expect(row, file).toBeDefined();
        expect(row?.raw.equals(wire), `${file} stored byte-exact`).toBe(true);

        const expected = (await simpleParser(wire)).subject ?? null;
        if (expected !== null && !expected.includes('\ufffd')) {
          expect(row?.subject, `${file} subject`).toBe(expected);
        }
      }
    } finally {
      db.close();
    }
  }, 120_000);
});
