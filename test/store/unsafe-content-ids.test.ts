import { readdir } from 'node:fs/promises';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { openCaseStore, readFixture } from './helpers.js';

let cases: Awaited<ReturnType<typeof openCaseStore>>;

beforeEach(async () => {
  cases = await openCaseStore();
});

afterEach(async () => {
  await cases.close();
});

const LONG_ID = `${'a'.repeat(380)}@example.test`;

describe('SqliteTarget', () => {
  describe('body() with unsafe Content-IDs and file names', () => {
    it('stores a Content-ID with a slash', async () => {
      const id = await cases.store(readFixture('cid-with-slash.eml'));
      const { queries } = cases.harness.store;

      const part = queries.findPartByContentId(id, 'folder/image@example.test');
      expect(part?.partId).toBe('2');
      expect(part?.kind).toBe('inline');
      expect(part?.contentId).toBe('<folder/image@example.test>');
      expect(part?.downloadName).toBe('part-2.png');
      expect(queries.getPart(id, '2')?.content.length).toBe(70);
    });

    it.each([
      ['../../escape', '1.2'],
      [LONG_ID, '1.3'],
      ['dir%2Fname\\file@example.test', '1.4'],
    ])('addresses Content-ID %s by part id', async (contentId, partId) => {
      const id = await cases.store(readFixture('unsafe-part-names.eml'));
      const { queries } = cases.harness.store;

      const part = queries.findPartByContentId(id, contentId);
      expect(part?.partId).toBe(partId);
      expect(part?.kind).toBe('inline');
      expect(part?.contentId).toBe(`<${contentId}>`);
      expect(queries.getPart(id, partId)?.content.length).toBe(70);
    });

    it('cleans separators from download names', async () => {
      const id = await cases.store(readFixture('unsafe-part-names.eml'));
      const { queries } = cases.harness.store;

      const text = queries.getPart(id, '2');
      expect(text?.filename).toBe('../../x.txt');
      expect(text?.downloadName).toBe('.._.._x.txt');
      expect(text?.content.toString()).toBe('not a path');

      const binary = queries.getPart(id, '3');
      expect(binary?.filename).toBe('sub/dir\\name.bin');
      expect(binary?.downloadName).toBe('sub_dir_name.bin');
      expect([...(binary?.content ?? [])]).toEqual([0, 1, 2, 3]);
      expect(queries.getMessage(id)?.attachmentCount).toBe(2);
    });

    it('writes no file besides the database', async () => {
      await cases.store(readFixture('unsafe-part-names.eml'));
      await cases.store(readFixture('cid-with-slash.eml'));

      const files = await readdir(cases.dir, { recursive: true });
      expect(files.sort()).toEqual(['mail.db', 'mail.db-shm', 'mail.db-wal']);
    });
  });
});
