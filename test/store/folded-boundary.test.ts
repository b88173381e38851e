import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { crlf, openCaseStore, readFixture } from './helpers.js';

let cases: Awaited<ReturnType<typeof openCaseStore>>;

beforeEach(async () => {
  cases = await openCaseStore();
});

afterEach(async () => {
  await cases.close();
});

describe('SqliteTarget', () => {
  describe('body() with a folded boundary parameter', () => {
    it.each(['folded-boundary.eml', 'folded-boundary-unquoted.eml'])(
      'shows both alternatives of %s',
      async (fixture) => {
        const id = await cases.store(readFixture(fixture));
        const { queries } = cases.harness.store;

        const message = queries.getMessage(id);
        expect(message?.subject).toBe('Folded boundary');
        expect(message?.text?.trim()).toBe('Grüße aus dem Klartext.');
        expect(message?.html).toContain('<p>Grüße aus dem <b>HTML</b>.</p>');
        expect(message?.hasAttachments).toBe(false);
        expect(message?.warnings).toEqual([]);

        const parts = queries.listParts(id);
        expect(parts.map((part) => [part.partId, part.contentType, part.kind])).toEqual([
          ['0', 'multipart/alternative', 'multipart'],
          ['1', 'text/plain', 'body'],
          ['2', 'text/html', 'body'],
        ]);
        // `charset = "UTF-8"` has spaces around the equals sign.
        expect(parts[1]?.charset).toBe('UTF-8');
      },
    );

    it('warns about a missing boundary', async () => {
      const message = crlf([
        'Subject: No boundary',
        'Content-Type: multipart/alternative;',
        '    charset=utf-8',
        '',
        'text that has no part around it',
      ]);

      const id = await cases.store(message);

      const { queries } = cases.harness.store;
      const stored = queries.getMessage(id);
      expect(stored?.subject).toBe('No boundary');
      expect(stored?.warnings).toEqual([
        expect.stringMatching(/^Part 0 \(multipart\/alternative\) contains no parts/),
      ]);
      expect(queries.getRaw(id)?.equals(message)).toBe(true);
    });
  });
});
