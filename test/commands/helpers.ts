import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

import { runImport } from '../../src/commands/import.js';
import { runSendmail } from '../../src/commands/sendmail.js';
import { parseCli } from '../../src/config.js';
import { startCore, type Core } from '../../src/core.js';
import { createLogger } from '../../src/log.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cliPath = path.join(root, 'src', 'cli.ts');
/** The tsx loader as a file URL, so that the CLI runs from source in any working folder. */
export const tsxLoader = import.meta.resolve('tsx');

/** Output and exit code of a finished CLI run. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node src/cli.ts ARGS` (or `program` when given, such as a link named sendmail)
 * with `input` on standard input, and kills it after `timeoutMs`.
 */
export function runCli(
  args: string[],
  options: {
    input?: Buffer | string;
    env?: NodeJS.ProcessEnv;
    program?: string;
    timeoutMs?: number;
  } = {},
): Promise<CliResult> {
  const program = options.program ?? cliPath;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsxLoader, program, ...args], {
      cwd: root,
      env: { ...process.env, MAILSCOPE_LOG_LEVEL: 'warn', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mailscope ${args.join(' ')} did not end in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Creates `dir/sendmail`, a symbolic link to the CLI, as installs that replace sendmail do. */
export async function linkAsSendmail(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const link = path.join(dir, 'sendmail');
  await symlink(cliPath, link);
  return link;
}

/** Calls Mailscope's API on a server started by the test and returns the parsed JSON. */
export async function apiJson<T>(base: string, apiPath: string): Promise<T> {
  const response = await fetch(`${base}/api/mailscope${apiPath}`);
  if (!response.ok) throw new Error(`GET ${apiPath} answered ${response.status}`);
  return (await response.json()) as T;
}

export interface DeliveryRow {
  id: string;
  mailFrom: string;
  subject: string | null;
  state: string;
  size: number;
}

export interface DeliveryDetailJson extends DeliveryRow {
  protocol: string;
  recipients: Array<{ address: string; status: string; bcc: boolean }>;
}

/** Returns every delivery with `subject`, newest first. */
export async function deliveriesWithSubject(base: string, subject: string): Promise<DeliveryRow[]> {
  const page = await apiJson<{ deliveries: DeliveryRow[] }>(base, '/deliveries?limit=500');
  return page.deliveries.filter((delivery) => delivery.subject === subject);
}

/** Returns the one delivery with `subject`, with its recipients and raw source. */
export async function deliveryBySubject(
  base: string,
  subject: string,
): Promise<{ detail: DeliveryDetailJson; raw: string }> {
  const matches = await deliveriesWithSubject(base, subject);
  if (matches.length !== 1) {
    throw new Error(`Expected one delivery with subject "${subject}", found ${matches.length}`);
  }
  const id = (matches[0] as DeliveryRow).id;
  const detail = await apiJson<DeliveryDetailJson>(base, `/deliveries/${id}`);
  const raw = await fetch(`${base}/api/mailscope/messages/${id}/raw`).then((r) => r.text());
  return { detail, raw };
}

/** A core started in this process on free loopback ports, with its own data folder. */
export interface TestCore {
  core: Core;
  dataDir: string;
  /** Base URL of the HTTP server, such as http://127.0.0.1:41234. */
  base: string;
  /** SMTP address as HOST:PORT. */
  smtp: string;
  close(): Promise<void>;
}

export async function startTestCore(args: string[] = []): Promise<TestCore> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mailscope-commands-'));
  const request = parseCli(
    ['--smtp', '127.0.0.1:0', '--http', '127.0.0.1:0', '--data-dir', dataDir, ...args],
    {},
  );
  if (request.kind !== 'run') throw new Error('unexpected CLI request');
  const core = await startCore(request.config, createLogger({ level: 'silent' }));
  return {
    core,
    dataDir,
    base: `http://${core.httpAddress.host}:${core.httpAddress.port}`,
    smtp: `${core.smtpAddress.host}:${core.smtpAddress.port}`,
    async close() {
      await core.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Output and exit code of a command run in this process. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `mailscope sendmail ARGS` in this process with `input` on its standard input. */
export async function sendmailInProcess(
  args: string[],
  input: string | Buffer,
  env: NodeJS.ProcessEnv = {},
): Promise<CommandResult> {
  const stdout = collect();
  const stderr = collect();
  const stdin = Readable.from([Buffer.from(input)]);
  const code = await runSendmail(args, {
    stdin,
    stdout: stdout.stream,
    stderr: stderr.stream,
    env,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** Runs `mailscope import ARGS` in this process. */
export async function importInProcess(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<CommandResult> {
  const stdout = collect();
  const stderr = collect();
  const code = await runImport(args, { stdout: stdout.stream, stderr: stderr.stream, env });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}
