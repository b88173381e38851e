import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Folder of the real-world corpus, which contains MANIFEST.tsv and messages/: the
 * environment variable MAILSCOPE_CORPUS, else ../shared/corpus beside the repository.
 * The corpus is read in place and never copied into the project.
 */
export const CORPUS_DIR = path.resolve(
  process.env.MAILSCOPE_CORPUS ?? path.join(root, '..', 'shared', 'corpus'),
);

const MANIFEST = path.join(CORPUS_DIR, 'MANIFEST.tsv');

/** True when the corpus folder has its manifest. */
export const corpusAvailable = existsSync(MANIFEST);

/** Reason shown for tests skipped because the corpus is missing. */
export const CORPUS_SKIP_REASON =
  `the real-world corpus is missing: no ${MANIFEST}. ` +
  'Set MAILSCOPE_CORPUS to the folder that contains MANIFEST.tsv and messages/.';

/** One corpus message as the manifest lists it. */
export interface CorpusEntry {
  /** Path relative to CORPUS_DIR, such as `messages/0001-example.eml`. */
  file: string;
  /** Tags from the manifest's `kinds` column, such as `html` or `broken-boundary`. */
  kinds: string[];
}

/** Lists the corpus messages in manifest order, or none when the corpus is missing. */
export function corpusEntries(): CorpusEntry[] {
  if (!corpusAvailable) return [];
  const [head, ...rows] = readFileSync(MANIFEST, 'utf8').trim().split('\n');
  const columns = (head ?? '').split('\t');
  const fileColumn = columns.indexOf('file');
  const kindsColumn = columns.indexOf('kinds');
  return rows.map((row) => {
    const cells = row.split('\t');
    return {
      file: cells[fileColumn] as string,
      kinds: (cells[kindsColumn] ?? '').split(',').filter((kind) => kind !== ''),
    };
  });
}

/** Reads one corpus message as bytes. */
export function readCorpusMessage(file: string): Buffer {
  return readFileSync(path.join(CORPUS_DIR, file));
}

/** Folder of the project's own test messages. */
export const FIXTURES_DIR = path.join(root, 'test', 'fixtures');

/** Lists the project's own `.eml` fixtures by file name. */
export function fixtureFiles(): string[] {
  return readdirSync(FIXTURES_DIR)
    .filter((name) => name.endsWith('.eml'))
    .sort();
}
