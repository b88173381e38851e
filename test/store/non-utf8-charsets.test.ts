import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import iconv from 'iconv-lite';
import { openCaseStore, readFixture } from './helpers.js';

let cases: Awaited<ReturnType<typeof openCaseStore>>;

beforeEach(async () => {
  cases = await openCaseStore();
});

afterEach(async () => {
  await cases.close();
});

describe('SqliteTarget', () => {
  describe('body() with a non-UTF-8 charset', () => {
    it('decodes an ISO-2022-JP subject and body', async () => {
      const id = await cases.store(readFixture('iso-2022-jp.eml'));

      const message = cases.harness.store.queries.getMessage(id);
      expect(message?.subject).toBe('テスト件名');
      expect(message?.text?.trim()).toBe('こんにちは');
      expect(message?.snippet).toBe('こんにちは');
      expect(message?.text).not.toContain('\x1b');
      expect(message?.text).not.toContain('$B');
      expect(message?.warnings).toEqual([]);
    });

    it('decodes ISO-2022-JP quoted-printable text and HTML', async () => {
      const id = await cases.store(readFixture('iso-2022-jp-alternative.eml'));

      const message = cases.harness.store.queries.getMessage(id);
      expect(message?.subject).toBe('テスト件名');
      expect(message?.text?.trim()).toBe('こんにちは');
      expect(message?.html).toBe('<p>こんにちは</p>');
    });

    it('decodes windows-1252 punctuation', async () => {
      const id = await cases.store(readFixture('windows-1252.eml'));

      expect(cases.harness.store.queries.getMessage(id)?.text?.trim()).toBe('Loading… done €5');
    });

    it('decodes gb18030', async () => {
      const id = await cases.store(readFixture('gb18030.eml'));

      expect(cases.harness.store.queries.getMessage(id)?.text?.trim()).toBe('你好世界');
    });

    it('warns about an unknown charset', async () => {
      const id = await cases.store(readFixture('unknown-charset.eml'));

      const message = cases.harness.store.queries.getMessage(id);
      expect(message?.text?.trim()).toBe('plain words');
      expect(message?.subject).toBe('hello');
      expect(message?.warnings).toEqual([
        'The Subject header uses the unknown charset "x-martian-7", so it was decoded as UTF-8.',
        'Part 1 (text/plain) declares the unknown charset "x-martian-7", so its text was decoded as UTF-8.',
      ]);
    });

    it('reads a raw 8-bit subject in the charset of the body', async () => {
      for (const [charset, subject] of [
        ['windows-1251', 'Рассылка: уведомление'],
        ['gb2312', '会议通知'],
        ['big5', '會議通知'],
      ] as const) {
        const message = Buffer.concat([
          Buffer.from('From: a@example.test\r\nSubject: '),
          iconv.encode(subject, charset),
          Buffer.from(`\r\nContent-Type: text/plain; charset=${charset}\r\n\r\n`),
          iconv.encode(subject, charset),
          Buffer.from('\r\n'),
        ]);
        const id = await cases.store(message);

        expect(cases.harness.store.queries.getMessage(id)?.subject, charset).toBe(subject);
      }
    });

    it('keeps the windows-1252 reading when the body is UTF-8', async () => {
      const message = Buffer.concat([
        Buffer.from('Subject: caf'),
        Buffer.from([0xe9]),
        Buffer.from('\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nx\r\n'),
      ]);
      const id = await cases.store(message);

      expect(cases.harness.store.queries.getMessage(id)?.subject).toBe('café');
    });
  });
});
