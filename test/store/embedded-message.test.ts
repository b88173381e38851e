import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { crlf, openCaseStore, readFixture } from './helpers.js';

let cases: Awaited<ReturnType<typeof openCaseStore>>;

beforeEach(async () => {
  cases = await openCaseStore();
});

afterEach(async () => {
  await cases.close();
});

const FIXTURES = [
  'embedded-message-inline.eml',
  'embedded-message-attachment.eml',
  'embedded-message-no-disposition.eml',
];

describe('SqliteTarget', () => {
  describe('body() with an embedded message/rfc822 part', () => {
    it.each(FIXTURES)('shows only the outer text of %s', async (fixture) => {
      const id = await cases.store(readFixture(fixture));

      const message = cases.harness.store.queries.getMessage(id);
      expect(message?.text?.trim()).toBe('see the attached message');
      expect(message?.text).not.toContain('inner body text');
      expect(message?.snippet).toBe('see the attached message');
    });

    it.each(FIXTURES)('keeps the outer metadata of %s', async (fixture) => {
      const id = await cases.store(readFixture(fixture));

      const message = cases.harness.store.queries.getMessage(id);
      expect(message?.subject).toBe('Fwd: report');
      expect(message?.from).toEqual([{ name: 'Outer', address: 'outer@example.test' }]);
      expect(message?.messageId).toBe('<outer-1@example.test>');
      expect(message?.date).toBe(Date.parse('2024-01-04T08:00:00Z'));
    });

    it.each(FIXTURES)('lists %s as an attachment', async (fixture) => {
      const id = await cases.store(readFixture(fixture));
      const { queries } = cases.harness.store;

      expect(queries.getMessage(id)?.hasAttachments).toBe(true);
      const part = queries.getPart(id, '2');
      expect(part?.contentType).toBe('message/rfc822');
      expect(part?.kind).toBe('attachment');
      expect(part?.downloadName).toBe('Inner report.eml');
      expect(part?.content.toString()).toMatch(/^From: c@example\.test\r\n/);
      expect(part?.content.toString()).toContain('\r\n\r\ninner body text');
    });

    it('names a subjectless message message.eml', async () => {
      const raw = crlf([
        'Subject: Outer',
        'Content-Type: multipart/mixed; boundary="m"',
        '',
        '--m',
        'Content-Type: text/plain',
        '',
        'outer',
        '--m',
        'Content-Type: message/rfc822',
        '',
        'From: c@example.test',
        '',
        'inner',
        '--m--',
      ]);

      const id = await cases.store(raw);

      expect(cases.harness.store.queries.getPart(id, '2')?.downloadName).toBe('message.eml');
    });
  });
});
