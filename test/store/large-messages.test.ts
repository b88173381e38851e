import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { FileBodyBuffer } from '../../src/delivery/body-buffer.js';
import { parseHeader } from '../../src/message/header.js';
import { crlf, makeMeta, openCaseStore } from './helpers.js';

let cases: Awaited<ReturnType<typeof openCaseStore>>;

beforeEach(async () => {
  cases = await openCaseStore();
});

afterEach(async () => {
  await cases.close();
});

/** Builds a multipart/mixed message with a short text and `attachment` in base64 lines of 76. */
function messageWithAttachment(attachment: Buffer): Buffer {
  const base64Lines = attachment.toString('base64').match(/.{1,76}/g) ?? [];
  return crlf([
    'From: a@example.test',
    'To: b@example.test',
    'Subject: Large attachment',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="big"',
    '',
    '--big',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'The file is attached.',
    '--big',
    'Content-Type: application/octet-stream',
    'Content-Disposition: attachment; filename="data.bin"',
    'Content-Transfer-Encoding: base64',
    '',
    ...base64Lines,
    '--big--',
  ]);
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

describe('SqliteTarget', () => {
  describe('body() with large messages', () => {
    // The time limits are generous so that slow CI machines pass. They still catch work
    // that grows quadratically with the size, which would take minutes at 25 MB.
    it.each([
      ['1.5 MB', 1.1 * 1024 * 1024, 5_000],
      ['25 MB', 18 * 1024 * 1024, 20_000],
    ])('stores a %s attachment byte-exact', async (_label, size, maxMs) => {
      const attachment = randomBytes(Math.round(size));
      const raw = messageWithAttachment(attachment);

      const { result: id, ms } = await timed(() => cases.store(raw));

      expect(ms).toBeLessThan(maxMs);
      const { queries } = cases.harness.store;
      expect(queries.getRaw(id)?.equals(raw)).toBe(true);
      expect(queries.getMessage(id)?.text?.trim()).toBe('The file is attached.');
      const part = queries.getPart(id, '2');
      expect(part?.downloadName).toBe('data.bin');
      expect(part?.size).toBe(attachment.length);
      expect(part?.content.equals(attachment)).toBe(true);
    });

    it('stores a spilled 20 MB message byte-exact', async () => {
      // The SMTP endpoint hands over a message above 1 MiB as a FileBodyBuffer, which the
      // store parses as a stream and reads whole only to store the raw source.
      const attachment = randomBytes(15 * 1024 * 1024);
      const raw = messageWithAttachment(attachment);
      const file = path.join(cases.dir, 'spilled-body.eml');
      await writeFile(file, raw);
      const meta = makeMeta();

      const delivery = await cases.harness.pipeline.start(meta, 'sender@example.test');
      await delivery.addRcpt('receiver@example.test');
      await delivery.body(parseHeader(raw), new FileBodyBuffer(file, raw.length));
      await delivery.commit();

      const { queries } = cases.harness.store;
      expect(raw.length).toBeGreaterThan(20 * 1024 * 1024);
      expect(queries.getRaw(meta.id)?.equals(raw)).toBe(true);
      expect(queries.getMessage(meta.id)?.size).toBe(raw.length);
      expect(queries.getMessage(meta.id)?.text?.trim()).toBe('The file is attached.');
      const part = queries.getPart(meta.id, '2');
      expect(part?.size).toBe(attachment.length);
      expect(part?.content.equals(attachment)).toBe(true);
    });

    it('stores a folded 100 KB References header', async () => {
      const ids = Array.from({ length: 4300 }, (_, index) => `<ref-${index}@example.test>`);
      const raw = crlf([
        'From: a@example.test',
        'Subject: Long thread',
        `References: ${ids.join('\r\n ')}`,
        '',
        'reply',
      ]);
      expect(raw.length).toBeGreaterThan(100_000);

      const { result: id, ms } = await timed(() => cases.store(raw));

      expect(ms).toBeLessThan(5_000);
      const { queries } = cases.harness.store;
      const references = queries.listHeaders(id).find((field) => field.name === 'References');
      expect(references?.value.split(/\s+/)).toEqual(ids);
      expect(queries.getMessage(id)?.text?.trim()).toBe('reply');
    });
  });
});
