import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import {
  MAX_FILES_PER_IMPORT,
  importEmlFiles,
  importFailureText,
  readEmlFile,
  type FileImporter,
} from '../../electron/eml-import.js';

const message = 'From: a@example.test\r\nTo: b@example.test\r\nSubject: Hi\r\n\r\nHello\r\n';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mailscope-eml-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content = message): Promise<string> {
  const filePath = path.join(dir, name);
  await writeFile(filePath, content);
  return filePath;
}

/** Creates a FileImporter that accepts every file and records each one. */
function recordingImporter(): FileImporter & {
  files: Array<{ source: string; bytes: Uint8Array }>;
} {
  const files: Array<{ source: string; bytes: Uint8Array }> = [];
  return {
    files,
    importFile: vi.fn(async (input: { source: string; bytes: Uint8Array }) => {
      files.push(input);
      return { source: input.source, ok: true as const, deliveryId: `id-${files.length}` };
    }),
  };
}

describe('readEmlFile()', () => {
  it('returns the bytes of an .eml file', async () => {
    const read = await readEmlFile(await file('a.eml'), 1000);

    if (!('bytes' in read)) throw new Error(read.error);
    expect(Buffer.from(read.bytes).toString()).toBe(message);
  });

  it('accepts an upper-case extension', async () => {
    expect('bytes' in (await readEmlFile(await file('A.EML'), 1000))).toBe(true);
  });

  it('refuses another extension', async () => {
    expect(await readEmlFile(await file('a.txt'), 1000)).toEqual({
      error: 'Only .eml files can be imported.',
    });
  });

  it('refuses a folder', async () => {
    await mkdir(path.join(dir, 'folder.eml'));

    expect(await readEmlFile(path.join(dir, 'folder.eml'), 1000)).toEqual({
      error: 'It is not a file.',
    });
  });

  it('refuses a file above the limit', async () => {
    const read = await readEmlFile(await file('big.eml'), 10);

    expect(read).toEqual({
      error: `It has ${message.length} bytes, more than the limit of 10 bytes.`,
    });
  });

  it('reports a missing file', async () => {
    const read = await readEmlFile(path.join(dir, 'gone.eml'), 1000);

    if (!('error' in read)) throw new Error('expected an error for a missing file');
    expect(read.error).toMatch(/^Reading it failed: ENOENT/);
  });
});

describe('importEmlFiles()', () => {
  it('hands each file with its path and bytes to the core', async () => {
    const importer = recordingImporter();
    const paths = [await file('a.eml'), await file('b.eml', 'Subject: B\r\n\r\nb')];

    const summary = await importEmlFiles(paths, importer, 1000);

    expect(importer.files.map((entry) => entry.source)).toEqual(paths);
    expect(Buffer.from(importer.files[1]?.bytes ?? []).toString()).toBe('Subject: B\r\n\r\nb');
    expect(summary.imported).toEqual([
      { source: paths[0], deliveryId: 'id-1' },
      { source: paths[1], deliveryId: 'id-2' },
    ]);
    expect(summary.failed).toEqual([]);
  });

  it('reports the files it could not read without handing them over', async () => {
    const importer = recordingImporter();
    const notes = await file('notes.txt');

    const summary = await importEmlFiles([notes, await file('a.eml')], importer, 1000);

    expect(importer.files).toHaveLength(1);
    expect(summary.failed).toEqual([{ source: notes, error: 'Only .eml files can be imported.' }]);
  });

  it('reports the files the core refused', async () => {
    const importer: FileImporter = {
      importFile: async (input) => ({ source: input.source, ok: false, error: 'x.eml is empty.' }),
    };
    const empty = await file('x.eml', '');

    const summary = await importEmlFiles([empty], importer, 1000);

    expect(summary.failed).toEqual([{ source: empty, error: 'x.eml is empty.' }]);
  });

  it('skips files past the limit of one import', async () => {
    const importer = recordingImporter();
    const one = await file('a.eml');
    const paths = Array.from({ length: MAX_FILES_PER_IMPORT + 2 }, () => one);

    const summary = await importEmlFiles(paths, importer, 1000);

    expect(importer.files).toHaveLength(MAX_FILES_PER_IMPORT);
    expect(summary.failed).toHaveLength(2);
    expect(summary.failed[0]?.error).toContain(`at most ${MAX_FILES_PER_IMPORT} files`);
  });
});

describe('importFailureText()', () => {
  it('is null when every file was imported', () => {
    expect(
      importFailureText({ imported: [{ source: 'a', deliveryId: 'x' }], failed: [] }),
    ).toBeNull();
  });

  it('lists each failed file with its reason and counts the imported ones', () => {
    const text = importFailureText({
      imported: [{ source: '/a.eml', deliveryId: 'x' }],
      failed: [{ source: '/b.txt', error: 'Only .eml files can be imported.' }],
    });

    expect(text).toBe('/b.txt: Only .eml files can be imported.\n\n1 file was imported.');
  });
});
