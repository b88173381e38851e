import { parseArgs } from 'node:util';

import { ConfigError, parseCli } from '../config.js';
import { FALLBACK_RECIPIENT, ImportError } from '../import/index.js';
import { createLogger } from '../log.js';
import {
  DestinationError,
  connectServer,
  openDatabase,
  type ImportDestination,
} from './import-destination.js';
import { findMailFiles, readMailFile, type MailItem, type MboxFormat } from './mail-files.js';
import { ImportProgress } from './progress.js';

export const IMPORT_HELP = `Usage: mailscope import [options] PATH ...

Stores .eml files, mbox files and Maildir folders as local deliveries, through the same
pipeline and message size limit as SMTP deliveries. The destination is:
  - the Mailscope at --url (or MAILSCOPE_URL) when one is given;
  - otherwise the database of --db or --data-dir (or their variables) when one is given,
    which no running Mailscope may use;
  - otherwise the Mailscope at the default address, or the default database when no
    Mailscope responds there.

A folder with cur/ or new/ is a Maildir (tmp/ is skipped; subfolders such as Maildir++
.Sent are imported too); other folders are searched recursively. A file that starts
with "From " is an mbox; any other file is one message. Symbolic links are followed,
and a folder or file reached twice is read once.

The envelope comes from the header: MAIL FROM from Return-Path, else From, else <>;
RCPT TO from To, Cc and Bcc, else ${FALLBACK_RECIPIENT}.

Options (environment variable in brackets):
  --url URL                 HTTP address of a running Mailscope (MAILSCOPE_URL),
                            default http://127.0.0.1:8025
  --http-auth USER:PASS     HTTP basic auth credentials for --url (MAILSCOPE_HTTP_AUTH)
  --db PATH                 database file used when no server responds (MAILSCOPE_DB),
                            default DATA_DIR/mailscope.db
  --data-dir PATH           data folder used when no server responds (MAILSCOPE_DATA_DIR)
  --max-message-size BYTES  message size limit when no server answers
                            (MAILSCOPE_MAX_MESSAGE_SIZE), default 50M; a server
                            applies its own limit
  --mbox-format FORMAT      mboxrd (default): ">>From " becomes ">From "; mboxo:
                            only ">From " lines are unquoted
  -h, --help                print this help and exit

Exit status: 0 when every message was imported, 1 when any was skipped, 2 for a usage
error or when no destination could be opened.
`;

const OPTIONS = {
  url: { type: 'string' },
  'http-auth': { type: 'string' },
  db: { type: 'string' },
  'data-dir': { type: 'string' },
  'max-message-size': { type: 'string' },
  'mbox-format': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const DEFAULT_URL = 'http://127.0.0.1:8025';
/** Skipped messages listed one by one in the summary; the rest are counted. */
const MAX_LISTED_SKIPS = 20;

export interface ImportIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** Runs `mailscope import ARGS` and returns the exit code. */
export async function runImport(argv: string[], io: ImportIo): Promise<number> {
  let values;
  let paths: string[];
  try {
    ({ values, positionals: paths } = parseArgs({
      args: argv,
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    return usageError(io, `${(error as Error).message}.`);
  }
  if (values.help) {
    io.stdout.write(IMPORT_HELP);
    return 0;
  }
  if (paths.length === 0) return usageError(io, 'Name at least one file or folder to import.');
  const mboxFormat = values['mbox-format'] ?? 'mboxrd';
  if (mboxFormat !== 'mboxrd' && mboxFormat !== 'mboxo') {
    return usageError(io, `Invalid --mbox-format value "${mboxFormat}": expected mboxrd or mboxo.`);
  }

  let destination: ImportDestination;
  try {
    destination = await openDestination(values, io.env);
  } catch (error) {
    if (error instanceof DestinationError || error instanceof ConfigError) {
      io.stderr.write(`mailscope import: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  try {
    return await importAll(paths, destination, mboxFormat, io);
  } catch (error) {
    if (!(error instanceof DestinationError)) throw error;
    io.stderr.write(`\nmailscope import: ${error.message}\n`);
    return 2;
  } finally {
    await destination.close();
  }
}

type ImportValues = {
  url?: string;
  'http-auth'?: string;
  db?: string;
  'data-dir'?: string;
  'max-message-size'?: string;
};

async function openDestination(
  values: ImportValues,
  env: NodeJS.ProcessEnv,
): Promise<ImportDestination> {
  const url = values.url ?? (env.MAILSCOPE_URL || DEFAULT_URL);
  try {
    new URL(url);
  } catch {
    throw new ConfigError(`Invalid --url value "${url}": expected a URL such as ${DEFAULT_URL}.`);
  }
  const credentials = values['http-auth'] ?? (env.MAILSCOPE_HTTP_AUTH || undefined);
  const authorization = credentials ? `Basic ${Buffer.from(credentials).toString('base64')}` : null;
  const urlGiven = values.url !== undefined || Boolean(env.MAILSCOPE_URL);
  const databaseGiven =
    values.db !== undefined ||
    values['data-dir'] !== undefined ||
    Boolean(env.MAILSCOPE_DB || env.MAILSCOPE_DATA_DIR);

  if (urlGiven || !databaseGiven) {
    const server = await connectServer(url, authorization);
    if (server) return server;
    // An address given on purpose that does not respond is most likely a typo. Writing
    // to the default database instead would hide the messages from the server meant.
    if (urlGiven) {
      throw new DestinationError(
        `No Mailscope responded at ${url}. Check the address, or pass --data-dir or --db ` +
          'instead of --url to import straight into a database.',
      );
    }
  }

  // The server's own option parser reads the database options and their variables, so
  // both find the same file.
  const args: string[] = [];
  for (const option of ['db', 'data-dir', 'max-message-size'] as const) {
    const value = values[option];
    if (value !== undefined) args.push(`--${option}`, value);
  }
  const request = parseCli(args, env);
  if (request.kind !== 'run') throw new ConfigError('Unexpected --help in the import options.');
  const logger = createLogger({ level: 'warn', destination: process.stderr });
  return openDatabase(request.config, logger);
}

async function importAll(
  paths: string[],
  destination: ImportDestination,
  mboxFormat: MboxFormat,
  io: ImportIo,
): Promise<number> {
  const { files, missing } = await findMailFiles(paths);
  const skipped: Array<{ source: string; reason: string }> = missing.map((entry) => ({
    source: entry.path,
    reason: entry.reason,
  }));
  const progress = new ImportProgress(
    io.stderr,
    files.reduce((sum, file) => sum + file.size, 0),
  );
  io.stderr.write(`Importing ${count(files.length, 'file')} into ${destination.description}\n`);

  let imported = 0;
  for (const [index, file] of files.entries()) {
    const items = readMailFile(file, {
      maxMessageSize: destination.maxMessageSize,
      mboxFormat,
      onBytes: (count) => progress.addBytes(count),
    });
    for await (const item of items) {
      const reason = await storeItem(destination, item);
      if (reason === null) imported += 1;
      else skipped.push({ source: item.source, reason });
      progress.setCounts(imported, skipped.length);
    }
    if (files[index + 1]?.input !== file.input) progress.inputDone(file.input);
  }
  progress.finish();

  io.stdout.write(`Imported ${count(imported, 'message')}, skipped ${skipped.length}.\n`);
  for (const skip of skipped.slice(0, MAX_LISTED_SKIPS)) {
    io.stdout.write(`  skipped ${skip.source}: ${skip.reason}\n`);
  }
  if (skipped.length > MAX_LISTED_SKIPS) {
    io.stdout.write(`  and ${skipped.length - MAX_LISTED_SKIPS} more skipped\n`);
  }
  return skipped.length === 0 ? 0 : 1;
}

/** Stores one item and returns null, or returns the reason it was skipped. */
async function storeItem(destination: ImportDestination, item: MailItem): Promise<string | null> {
  if ('skipped' in item) return item.skipped;
  try {
    await destination.store(item.bytes, item.source);
    return null;
  } catch (error) {
    if (error instanceof ImportError) return error.message;
    throw error;
  }
}

/** Formats a count with its noun, such as "1 file" or "2 files". */
function count(value: number, noun: string): string {
  return `${value} ${noun}${value === 1 ? '' : 's'}`;
}

function usageError(io: ImportIo, message: string): number {
  io.stderr.write(`mailscope import: ${message} Run mailscope import --help for the options.\n`);
  return 2;
}
