import { createReadStream, type Stats } from 'node:fs';
import { open, readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/** An input file found under the paths given to `mailscope import`. */
export interface MailFile {
  path: string;
  /** The path given on the command line that this file was found under. */
  input: string;
  /** `mbox` contains many messages, `message` one (an .eml file or a Maildir entry). */
  kind: 'mbox' | 'message';
  size: number;
}

/** A message read from a file, or the reason it could not be read. */
export type MailItem = { source: string; bytes: Buffer } | { source: string; skipped: string };

/**
 * Variant of the mbox format: mboxrd unquotes every `>From ` line with one or more `>`
 * by one `>`, mboxo only lines with exactly one.
 */
export type MboxFormat = 'mboxrd' | 'mboxo';

const MAILDIR_PARTS = ['cur', 'new', 'tmp'];

/**
 * Lists the mail files under `paths` in a stable order. A file that starts with an mbox
 * `From ` line is an mbox, any other file one message. A folder with a `cur` or `new`
 * subfolder is a Maildir, whose messages are the files in `cur` and `new` (not `tmp`,
 * which contains deliveries in progress). Its other subfolders, such as Maildir++ `.Sent`,
 * are searched like any folder. Other folders are searched recursively. Names starting
 * with a dot are skipped except in Maildir++ folder names. Symbolic links are followed,
 * but each folder is searched once and each file listed once, by its real path and by
 * device and inode number, so link loops and links to files already found add nothing.
 * A path that does not exist is returned in `missing` with the reason.
 */
export async function findMailFiles(
  paths: string[],
): Promise<{ files: MailFile[]; missing: Array<{ path: string; reason: string }> }> {
  const files: MailFile[] = [];
  const missing: Array<{ path: string; reason: string }> = [];
  const seen: Seen = { folders: new Set(), files: new Set() };
  for (const input of paths) {
    let info: Stats;
    try {
      info = await stat(input);
    } catch (error) {
      missing.push({ path: input, reason: (error as Error).message });
      continue;
    }
    if (info.isDirectory()) await walkFolder(input, input, files, seen, 0);
    else if (firstVisit(seen.files, info)) {
      files.push({ path: input, input, kind: await sniffKind(input), size: info.size });
    }
  }
  return { files, missing };
}

/** Folders and files already found: real folder paths, and files as `device:inode`. */
interface Seen {
  folders: Set<string>;
  files: Set<string>;
}

/** Records a file and returns true when no earlier path reached the same file. */
function firstVisit(files: Set<string>, info: Stats): boolean {
  const key = `${info.dev}:${info.ino}`;
  if (files.has(key)) return false;
  files.add(key);
  return true;
}

/**
 * Folder depth past which the search stops. Link loops end earlier, at the first folder
 * seen again, so this only bounds very deep trees.
 */
const MAX_DEPTH = 32;

async function walkFolder(
  input: string,
  folder: string,
  into: MailFile[],
  seen: Seen,
  depth: number,
): Promise<void> {
  if (depth > MAX_DEPTH) return;
  const real = await realpath(folder);
  if (seen.folders.has(real)) return;
  seen.folders.add(real);
  const entries = await readdir(folder, { withFileTypes: true });
  entries.sort((a, b) => compareNames(a.name, b.name));
  const isMaildir = entries.some(
    (entry) => entry.isDirectory() && (entry.name === 'cur' || entry.name === 'new'),
  );

  for (const entry of entries) {
    const full = path.join(folder, entry.name);
    const isFolder = entry.isDirectory() || (entry.isSymbolicLink() && (await isDirectory(full)));
    if (isMaildir) {
      if (entry.name === 'cur' || entry.name === 'new') {
        await addMaildirMessages(input, full, into, seen);
      } else if (isFolder && !MAILDIR_PARTS.includes(entry.name)) {
        // Maildir++ keeps subfolders as ".Name" beside cur, new and tmp.
        await walkFolder(input, full, into, seen, depth + 1);
      }
      continue;
    }
    if (entry.name.startsWith('.')) continue;
    if (isFolder) {
      await walkFolder(input, full, into, seen, depth + 1);
    } else if (entry.isFile() || (entry.isSymbolicLink() && (await isFile(full)))) {
      const info = await stat(full);
      if (!firstVisit(seen.files, info)) continue;
      into.push({ path: full, input, kind: await sniffKind(full), size: info.size });
    }
  }
}

/** Orders names by code unit, the same on every platform and locale. */
function compareNames(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

async function addMaildirMessages(
  input: string,
  folder: string,
  into: MailFile[],
  seen: Seen,
): Promise<void> {
  const real = await realpath(folder);
  if (seen.folders.has(real)) return;
  seen.folders.add(real);
  const names = (await readdir(folder, { withFileTypes: true }))
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
  for (const name of names) {
    const full = path.join(folder, name);
    const info = await stat(full);
    if (firstVisit(seen.files, info))
      into.push({ path: full, input, kind: 'message', size: info.size });
  }
}

async function isDirectory(file: string): Promise<boolean> {
  return stat(file).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (info) => info.isFile(),
    () => false,
  );
}

async function sniffKind(file: string): Promise<MailFile['kind']> {
  const handle = await open(file, 'r');
  try {
    const start = Buffer.alloc(5);
    const { bytesRead } = await handle.read(start, 0, 5, 0);
    return start.subarray(0, bytesRead).toString('latin1') === 'From ' ? 'mbox' : 'message';
  } finally {
    await handle.close();
  }
}

/**
 * Reads the messages of one mail file. A message larger than `maxMessageSize` is skipped
 * without being held in memory. `onBytes` receives the count of file bytes read, for
 * progress.
 */
export async function* readMailFile(
  file: MailFile,
  options: { maxMessageSize: number; mboxFormat: MboxFormat; onBytes: (count: number) => void },
): AsyncGenerator<MailItem> {
  if (file.kind === 'mbox') {
    yield* readMbox(file.path, options);
    return;
  }
  if (file.size > options.maxMessageSize) {
    options.onBytes(file.size);
    yield { source: file.path, skipped: tooLarge(file.size, options.maxMessageSize) };
    return;
  }
  try {
    const bytes = await readFile(file.path);
    yield { source: file.path, bytes };
  } catch (error) {
    yield { source: file.path, skipped: `could not be read: ${(error as Error).message}` };
  } finally {
    options.onBytes(file.size);
  }
}

function tooLarge(size: number, limit: number): string {
  return `${size} bytes, more than the message size limit of ${limit} bytes`;
}

/**
 * Splits an mbox file into messages. A message starts at a `From ` line at the start of
 * the file or after an empty line. That empty line belongs to the separator and is
 * dropped. `>From ` lines are unquoted as `mboxFormat` selects. Sources are named
 * `FILE#N`, N counting from 1.
 */
async function* readMbox(
  file: string,
  options: { maxMessageSize: number; mboxFormat: MboxFormat; onBytes: (count: number) => void },
): AsyncGenerator<MailItem> {
  const quoted = options.mboxFormat === 'mboxrd' ? /^>+From / : /^>From /;
  let lines: Buffer[] = [];
  let size = 0;
  let oversized = 0;
  let number = 0;
  let previousEmpty = true;
  let started = false;

  const finish = (): MailItem => {
    const source = `${file}#${number}`;
    if (oversized > 0) return { source, skipped: tooLarge(oversized, options.maxMessageSize) };
    // The empty line before the next From_ line, or at the end of the file, is no part of it.
    const last = lines.at(-1);
    if (last !== undefined && isEmptyLine(last)) lines.pop();
    return { source, bytes: Buffer.concat(lines) };
  };

  for await (const line of readLines(file, options.onBytes)) {
    if (previousEmpty && line.subarray(0, 5).toString('latin1') === 'From ') {
      if (started) yield finish();
      started = true;
      number += 1;
      lines = [];
      size = 0;
      oversized = 0;
      previousEmpty = false;
      continue;
    }
    previousEmpty = isEmptyLine(line);
    if (!started) continue;

    let content = line;
    if (content[0] === 0x3e && quoted.test(content.subarray(0, 64).toString('latin1'))) {
      content = content.subarray(1);
    }
    size += content.length;
    if (oversized > 0 || size > options.maxMessageSize) {
      oversized = size;
      lines = [];
      continue;
    }
    lines.push(content);
  }
  if (started) yield finish();
}

function isEmptyLine(line: Buffer): boolean {
  return (line.length === 1 && line[0] === 0x0a) || (line.length === 2 && line[0] === 0x0d);
}

/** Yields the lines of a file with their line ends, reading it as a stream. */
async function* readLines(file: string, onBytes: (count: number) => void): AsyncGenerator<Buffer> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
    const data = carry.length > 0 ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    onBytes((chunk as Buffer).length);
    let start = 0;
    for (;;) {
      const newline = data.indexOf(0x0a, start);
      if (newline === -1) break;
      yield data.subarray(start, newline + 1);
      start = newline + 1;
    }
    carry = Buffer.from(data.subarray(start));
  }
  if (carry.length > 0) yield carry;
}
