import { readFile, stat } from 'node:fs/promises';

import type { ImportOutcome } from '../src/desktop/messages.js';

/** Files taken from one drop or one command line; further ones are skipped. */
export const MAX_FILES_PER_IMPORT = 200;

/** The importer of files: the core process, through CoreHost. */
export interface FileImporter {
  importFile(file: { source: string; bytes: Uint8Array }): Promise<ImportOutcome>;
}

/** The outcome of one import: each file stored, or skipped or refused with the reason. */
export interface ImportSummary {
  imported: Array<{ source: string; deliveryId: string }>;
  failed: Array<{ source: string; error: string }>;
}

/**
 * Reads one file for import. Returns the bytes, or the reason it cannot be imported: not
 * named `.eml`, not a regular file, unreadable, or larger than `maxBytes`.
 */
export async function readEmlFile(
  filePath: string,
  maxBytes: number,
): Promise<{ bytes: Uint8Array } | { error: string }> {
  if (!filePath.toLowerCase().endsWith('.eml')) {
    return { error: 'Only .eml files can be imported.' };
  }
  try {
    const info = await stat(filePath);
    if (!info.isFile()) return { error: 'It is not a file.' };
    if (info.size > maxBytes) {
      return { error: `It has ${info.size} bytes, more than the limit of ${maxBytes} bytes.` };
    }
    return { bytes: await readFile(filePath) };
  } catch (error) {
    return { error: `Reading it failed: ${(error as Error).message}` };
  }
}

/**
 * Reads each file and hands it to the core process, one at a time so that only one
 * file is in memory. Files past MAX_FILES_PER_IMPORT are reported as skipped.
 */
export async function importEmlFiles(
  paths: readonly string[],
  importer: FileImporter,
  maxBytes: number,
): Promise<ImportSummary> {
  const summary: ImportSummary = { imported: [], failed: [] };
  for (const [index, source] of paths.entries()) {
    if (index >= MAX_FILES_PER_IMPORT) {
      summary.failed.push({
        source,
        error: `Skipped: one import takes at most ${MAX_FILES_PER_IMPORT} files.`,
      });
      continue;
    }
    const read = await readEmlFile(source, maxBytes);
    if ('error' in read) {
      summary.failed.push({ source, error: read.error });
      continue;
    }
    const outcome = await importer.importFile({ source, bytes: read.bytes });
    if (outcome.ok) {
      summary.imported.push({ source, deliveryId: outcome.deliveryId });
    } else {
      summary.failed.push({ source, error: outcome.error });
    }
  }
  return summary;
}

/** Returns the text of the dialog that lists failed files, or null when none failed. */
export function importFailureText(summary: ImportSummary): string | null {
  if (summary.failed.length === 0) return null;
  const lines = summary.failed.map((failure) => `${failure.source}: ${failure.error}`);
  const stored = summary.imported.length;
  const storedLine = stored === 1 ? '1 file was imported.' : `${stored} files were imported.`;
  return [...lines, '', storedLine].join('\n');
}
