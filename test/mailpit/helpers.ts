import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';

import { parseCli } from '../../src/config.js';
import { startCore, type Core } from '../../src/core.js';
import { createLogger } from '../../src/log.js';

/** A Mailscope core started in process on free loopback ports, with a nodemailer sender. */
export interface Mailscope {
  core: Core;
  /** Base URL of the HTTP server, such as `http://127.0.0.1:40123`. */
  base: string;
  /** Sends one message over SMTP and returns the id from the `queued as` reply. */
  send(mail: Mail.Options): Promise<string>;
  close(): Promise<void>;
}

export async function startMailscope(extraArgs: string[] = []): Promise<Mailscope> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-mailpit-'));
  const request = parseCli(
    [
      ...['--smtp', '127.0.0.1:0', '--http', '127.0.0.1:0', '--data-dir', dataDir],
      '--no-starttls',
      ...extraArgs,
    ],
    {},
  );
  if (request.kind !== 'run') throw new Error('unexpected CLI request');
  const core = await startCore(request.config, createLogger({ level: 'silent' }));
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: core.smtpAddress.port,
    secure: false,
    ignoreTLS: true,
  });

  return {
    core,
    base: `http://127.0.0.1:${core.httpAddress.port}`,
    async send(mail) {
      const info = (await transport.sendMail(mail)) as { response: string };
      const id = /queued as (\S+)/.exec(info.response)?.[1];
      if (id === undefined) throw new Error(`unexpected SMTP reply: ${info.response}`);
      return id;
    },
    async close() {
      transport.close();
      await core.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` every 20 ms until it returns a value other than undefined, for at most 5 s. */
export async function waitFor<T>(check: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
