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
  describe('body() with no blank line after the header', () => {
    it('splits at the first non-field line', async () => {
      const raw = readFixture('header-runs-into-body.eml');
      const id = await cases.store(raw);
      const { queries } = cases.harness.store;

      const message = queries.getMessage(id);
      expect(message?.subject).toBe('Receipt');
      expect(message?.to).toEqual([{ name: '', address: 'b@example.test' }]);
      expect(message?.html).toMatch(/^<!DOCTYPE html>/);
      expect(message?.text).toBe('Paid 12,50 € – thank you');
      expect(queries.listHeaders(id).map((field) => field.name)).toEqual([
        'From',
        'To',
        'Subject',
        'Content-Type',
      ]);
      expect(queries.getRaw(id)?.equals(raw)).toBe(true);
    });

    it('reads the utf8 label as UTF-8', async () => {
      const id = await cases.store(readFixture('header-runs-into-body.eml'));
      const { queries } = cases.harness.store;

      expect(queries.getMessage(id)?.text).toContain('€ –');
      expect(queries.listParts(id)[0]?.charset).toBe('utf8');
    });

    it('warns with the line number', async () => {
      const id = await cases.store(readFixture('header-runs-into-body.eml'));

      const warnings = cases.harness.store.queries.getMessage(id)?.warnings;
      expect(warnings).toEqual([expect.stringMatching(/^Line 5 is not a header field/)]);
    });

    it('stores a double-encoded body unchanged', async () => {
      // "Café" as UTF-8 bytes, read as windows-1252 and encoded as UTF-8 again.
      const mojibake = Buffer.from('Café', 'utf8').toString('latin1');
      expect(mojibake).toBe('CafÃ©');
      const raw = crlf([
        'Subject: Mojibake',
        'Content-Type: text/plain; charset=utf-8',
        '',
        mojibake,
      ]);

      const id = await cases.store(raw);

      const { queries } = cases.harness.store;
      expect(queries.getMessage(id)?.text?.trim()).toBe('CafÃ©');
      expect(queries.getRaw(id)?.equals(raw)).toBe(true);
    });
  });
});
