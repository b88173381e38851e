import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { openCaseStore, readFixture } from './helpers.js';

let cases: Awaited<ReturnType<typeof openCaseStore>>;

beforeEach(async () => {
  cases = await openCaseStore();
});

afterEach(async () => {
  await cases.close();
});

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('SqliteTarget', () => {
  describe('body() with an image referenced by cid:', () => {
    it.each([
      ['inline disposition', 'cid-image-inline.eml'],
      ['attachment disposition', 'cid-image-attachment.eml'],
      ['no disposition', 'cid-image-no-disposition.eml'],
      ['a reference in another case', 'cid-image-case-mismatch.eml'],
    ])('counts the image with %s as inline', async (_variant, fixture) => {
      const id = await cases.store(readFixture(fixture));
      const { queries } = cases.harness.store;

      const message = queries.getMessage(id);
      expect(message?.hasAttachments).toBe(false);
      expect(message?.attachmentCount).toBe(0);
      expect(message?.html).toMatch(/<img src="cid:logo123@example\.test"/i);

      const image = queries.getPart(id, '2');
      expect(image?.kind).toBe('inline');
      expect(image?.contentType).toBe('image/png');
      expect(image?.content.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    });

    it('finds the image by reference', async () => {
      const id = await cases.store(readFixture('cid-image-case-mismatch.eml'));

      const part = cases.harness.store.queries.findPartByContentId(id, 'LOGO123@Example.Test');
      expect(part?.partId).toBe('2');
    });

    it('lists an unreferenced image as attachment', async () => {
      const id = await cases.store(readFixture('cid-image-unreferenced.eml'));
      const { queries } = cases.harness.store;

      const message = queries.getMessage(id);
      expect(message?.hasAttachments).toBe(true);
      expect(message?.attachmentCount).toBe(1);
      const parts = queries.listParts(id);
      expect(parts.map((part) => [part.partId, part.kind, part.downloadName])).toEqual([
        ['0', 'multipart', null],
        ['1', 'body', 'part-1.html'],
        ['2', 'inline', 'logo.png'],
        ['3', 'attachment', 'spare.png'],
      ]);
    });

    it('derives the text from the HTML', async () => {
      const id = await cases.store(readFixture('cid-image-inline.eml'));

      const message = cases.harness.store.queries.getMessage(id);
      expect(message?.text).toContain('Our logo:');
      expect(message?.snippet).toMatch(/^Our logo:/);
    });
  });
});
