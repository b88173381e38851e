import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { openCaseStore, readFixture } from './helpers.js';

let cases: Awaited<ReturnType<typeof openCaseStore>>;

beforeEach(async () => {
  cases = await openCaseStore();
});

afterEach(async () => {
  await cases.close();
});

describe('SqliteTarget', () => {
  describe('body() with a character split across encoded-words', () => {
    it.each(['split-encoded-word-q.eml', 'split-encoded-word-b.eml'])(
      'decodes the subject of %s whole',
      async (fixture) => {
        const id = await cases.store(readFixture(fixture));
        const { queries } = cases.harness.store;

        const subject = queries.getMessage(id)?.subject;
        expect(subject).toBe('Café menu for today');
        expect(subject).not.toContain('\ufffd');

        const field = queries.listHeaders(id).find((header) => header.name === 'Subject');
        expect(field?.value).toBe('Café menu for today');
        expect(field?.rawValue).toMatch(/^=\?UTF-8\?[QB]\?/);
      },
    );
  });
});
