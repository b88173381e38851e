import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { parseCli, type Config } from '../../src/config.js';
import { startCore, type Core } from '../../src/core.js';
import { createLogger, type Logger } from '../../src/log.js';
import { SmtpDialogue } from '../support/smtp-dialogue.js';

/** A core started in this process on free loopback ports, with its own data folder. */
export interface Instance {
  core: Core;
  /** Sends a request to `apiPath` under /api/mailscope on the instance's HTTP port. */
  api(apiPath: string, init?: RequestInit): Promise<Response>;
  /** Sends a request to an absolute path such as /api/v1/info. */
  request(url: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Starts a core with `args` as further CLI options. `adjust` may change the parsed
 * configuration before the start, for settings that have no CLI option.
 */
export async function startInstance(
  args: string[] = [],
  options: { logger?: Logger; adjust?: (config: Config) => void } = {},
): Promise<Instance> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-relay-'));
  const request = parseCli(
    ['--smtp', '127.0.0.1:0', '--http', '127.0.0.1:0', '--data-dir', dataDir, ...args],
    {},
  );
  if (request.kind !== 'run') throw new Error(`unexpected CLI request ${request.kind}`);
  options.adjust?.(request.config);
  const core = await startCore(request.config, options.logger ?? createLogger({ level: 'silent' }));
  const origin = `http://127.0.0.1:${core.httpAddress.port}`;
  return {
    core,
    api: (apiPath, init) => fetch(`${origin}/api/mailscope${apiPath}`, init),
    request: (url, init) => fetch(`${origin}${url}`, init),
    async close() {
      await core.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Returns a JSON request for fetch. */
export function json(method: string, body: unknown): RequestInit {
  return { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
}

/**
 * Sends `message` over SMTP (CRLF line ends, dot-stuffed) and returns the stored id from
 * the reply to the final dot, with that reply and the time it took in milliseconds.
 */
export async function sendMessage(
  port: number,
  from: string,
  recipients: string[],
  message: Buffer,
): Promise<{ id: string; reply: string; dataMs: number }> {
  const dialogue = await SmtpDialogue.connect(port);
  try {
    await dialogue.command('EHLO sender.example.test');
    await dialogue.command(`MAIL FROM:<${from}>`);
    for (const recipient of recipients) await dialogue.command(`RCPT TO:<${recipient}>`);
    const dataReply = await dialogue.command('DATA');
    if (!dataReply.startsWith('354')) throw new Error(`DATA was refused: ${dataReply}`);
    const started = performance.now();
    const reply = await dialogue.data(message);
    const dataMs = performance.now() - started;
    await dialogue.command('QUIT');
    return { id: queuedId(reply), reply, dataMs };
  } finally {
    dialogue.destroy();
  }
}

/** Returns the id from a `250 2.0.0 Ok: queued as <id>` reply. */
export function queuedId(reply: string): string {
  const id = /queued as (\S+)/.exec(reply)?.[1];
  if (id === undefined) throw new Error(`the reply names no queued id: ${reply}`);
  return id;
}

/** Polls `check` every 20 ms until it returns a value other than undefined, or times out. */
export async function waitFor<T>(
  check: () => T | undefined,
  description: string,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
