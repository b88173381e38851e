import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { ROOT, type Tools } from './tools.js';

export type ServerKind = 'mailscope' | 'maildev' | 'smtp-sink';

/** A mail server under test, started by the bench in its own temporary folder. */
export interface BenchServer {
  kind: ServerKind;
  pid: number;
  smtpPort: number;
  /** Base URL of its HTTP API; null for smtp-sink. */
  httpBase: string | null;
  /** The temporary folder where it stores mail; null for smtp-sink. */
  dataDir: string | null;
  /** Messages the server has stored, as its own API reports; null for smtp-sink. */
  countStored(): Promise<number | null>;
  /** Resident memory now and at its peak since start, in KiB, from /proc. */
  memory(): { rssKiB: number; peakKiB: number };
  /** CPU time (user and system) the server used since start, in milliseconds. */
  cpuMs(): number;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra command-line options for Mailscope. */
  mailscopeArgs?: string[];
  /** Extra `node` options for Mailscope, such as --cpu-prof. */
  nodeArgs?: string[];
  /** Data folder for Mailscope, such as one that fill-store.ts filled; a new one by default. */
  dataDir?: string;
}

export async function startServer(
  kind: ServerKind,
  tools: Tools,
  options: StartOptions = {},
): Promise<BenchServer> {
  switch (kind) {
    case 'mailscope':
      return startMailscope(options);
    case 'maildev':
      return startMaildev(tools);
    case 'smtp-sink':
      return startSmtpSink(tools);
  }
}

/** Starts the built headless CLI (dist/cli.js) with a temporary data folder. */
async function startMailscope(options: StartOptions): Promise<BenchServer> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'mailscope-bench-'));
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      path.join(ROOT, 'dist', 'cli.js'),
      '--smtp',
      '127.0.0.1:0',
      '--http',
      '127.0.0.1:0',
      '--data-dir',
      dataDir,
      '--max-messages',
      '1000000',
      ...(options.mailscopeArgs ?? []),
    ],
    {
      cwd: dataDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: benchEnv({ MAILSCOPE_LOG_LEVEL: 'warn' }),
    },
  );
  const output = collectOutput(child);
  const match = await waitFor(
    () => {
      const smtp = /SMTP\s+smtp:\/\/[\d.]+:(\d+)/.exec(output.text());
      const http = /HTTP\s+(http:\/\/[\d.]+:\d+)/.exec(output.text());
      return smtp && http ? { smtpPort: Number(smtp[1]), httpBase: http[1] as string } : null;
    },
    child,
    output,
    'Mailscope',
  );
  const api = `${match.httpBase}/api/mailscope`;
  return {
    kind: 'mailscope',
    pid: requirePid(child),
    smtpPort: match.smtpPort,
    httpBase: match.httpBase,
    dataDir,
    async countStored() {
      const response = await fetch(`${api}/counts`);
      const counts = (await response.json()) as { messages: number };
      return counts.messages;
    },
    memory: () => readMemory(requirePid(child)),
    cpuMs: () => readCpuMs(requirePid(child)),
    stop: () => stopChild(child, dataDir),
  };
}

/** Starts MailDev from the copy that the bench installed, storing mail in a temporary folder. */
async function startMaildev(tools: Tools): Promise<BenchServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'maildev-bench-'));
  const smtpPort = await freePort();
  const webPort = await freePort();
  const child = spawn(
    process.execPath,
    [
      tools.maildevCli,
      '--smtp',
      String(smtpPort),
      '--web',
      String(webPort),
      '--ip',
      '127.0.0.1',
      '--mail-directory',
      dataDir,
      '--silent',
    ],
    { cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'], env: benchEnv({}) },
  );
  const output = collectOutput(child);
  const httpBase = `http://127.0.0.1:${webPort}`;
  await waitForPort(smtpPort, child, output, 'MailDev');
  await waitForPort(webPort, child, output, 'MailDev');
  return {
    kind: 'maildev',
    pid: requirePid(child),
    smtpPort,
    httpBase,
    dataDir,
    async countStored() {
      const response = await fetch(`${httpBase}/email`);
      return ((await response.json()) as unknown[]).length;
    },
    memory: () => readMemory(requirePid(child)),
    cpuMs: () => readCpuMs(requirePid(child)),
    stop: () => stopChild(child, dataDir),
  };
}

/** Starts Postfix's smtp-sink, which accepts and discards every message. */
async function startSmtpSink(tools: Tools): Promise<BenchServer> {
  const smtpPort = await freePort();
  const child = tools.smtpSink.spawn([`127.0.0.1:${smtpPort}`, '256']);
  const output = collectOutput(child);
  await waitForPort(smtpPort, child, output, 'smtp-sink');
  return {
    kind: 'smtp-sink',
    pid: requirePid(child),
    smtpPort,
    httpBase: null,
    dataDir: null,
    countStored: () => Promise.resolve(null),
    memory: () => readMemory(requirePid(child)),
    cpuMs: () => readCpuMs(requirePid(child)),
    stop: () => stopChild(child, null),
  };
}

/** Builds the environment for servers: the bench's own, without proxy variables. */
function benchEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) delete env[name];
  return env;
}

/** Reads VmRSS and VmHWM (peak resident set since start) from /proc, in KiB. */
export function readMemory(pid: number): { rssKiB: number; peakKiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) : 0;
  };
  return { rssKiB: field('VmRSS'), peakKiB: field('VmHWM') };
}

/** Reads utime and stime from /proc/PID/stat, in milliseconds. */
export function readCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command name, which is in brackets and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ, the unit of the times in /proc/PID/stat. */
const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

function requirePid(child: ChildProcess): number {
  if (child.pid === undefined) throw new Error('server process has no pid');
  return child.pid;
}

function collectOutput(child: ChildProcess): { text(): string } {
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { text: () => text };
}

const START_TIMEOUT_MS = 30_000;

async function waitFor<T>(
  check: () => T | null,
  child: ChildProcess,
  output: { text(): string },
  name: string,
): Promise<T> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const value = check();
    if (value !== null) return value;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not start; output:\n${output.text()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function waitForPort(
  port: number,
  child: ChildProcess,
  output: { text(): string },
  name: string,
): Promise<void> {
  let open = false;
  await waitFor(
    () => {
      if (!open) {
        const socket = net.connect({ host: '127.0.0.1', port }, () => {
          open = true;
          socket.destroy();
        });
        socket.on('error', () => socket.destroy());
      }
      return open ? true : null;
    },
    child,
    output,
    name,
  );
}

/** Stops a server with SIGTERM (SIGKILL after 10 s) and removes its temporary folder. */
async function stopChild(child: ChildProcess, dataDir: string | null): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  if (dataDir !== null) rmSync(dataDir, { recursive: true, force: true });
}

/** Returns a TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
