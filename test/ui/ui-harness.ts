import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import nodemailer, { type Transporter } from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

import { parseCli } from '../../src/config.js';
import { startCore, type Core } from '../../src/core.js';
import { createLogger } from '../../src/log.js';
import { RawSmtpClient } from '../support/raw-smtp-client.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The Debian Chromium. The UI tests never download a browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM_PATH);
export const SKIP_REASON = `UI tests need Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`;

/** Where the UI tests keep their screenshots. Git ignores test-results/. */
export const SCREENSHOT_DIR = path.join(root, 'test-results', 'screenshots');

const BUILT_UI = path.join(root, 'dist', 'renderer', 'index.html');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Any name other than the loopback address fails to resolve, so no request can leave
  // the machine even if a message's HTML slips past the policy.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

/** A Mailscope core started in this process, with its data in a temporary folder. */
export interface Mailscope {
  core: Core;
  baseUrl: string;
  smtpPort: number;
  close(): Promise<void>;
}

/** Starts a core on free loopback ports, with `args` as further CLI options. */
export async function startMailscope(args: string[] = []): Promise<Mailscope> {
  if (!existsSync(BUILT_UI)) {
    throw new Error(`The UI is not built: ${BUILT_UI} is missing. Run npm run build first.`);
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-ui-'));
  const request = parseCli(
    [
      ...['--smtp', '127.0.0.1:0', '--http', '127.0.0.1:0'],
      ...['--data-dir', dataDir, '--no-starttls', ...args],
    ],
    {},
  );
  if (request.kind !== 'run') throw new Error(`unexpected CLI request ${request.kind}`);
  const core = await startCore(request.config, createLogger({ level: 'silent' }));
  return {
    core,
    baseUrl: `http://127.0.0.1:${core.httpAddress.port}/`,
    smtpPort: core.smtpAddress.port,
    async close() {
      await core.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Everything a page did that a test may check: console lines, dialogs, blocked requests. */
export interface PageRecord {
  console: string[];
  dialogs: string[];
  pageErrors: string[];
  blockedRequests: string[];
}

export interface UiSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  record: PageRecord;
  close(): Promise<void>;
}

/**
 * Launches Chromium with a fresh profile and opens `url`. Requests to any host other than
 * 127.0.0.1 are aborted and recorded. Dialogs are recorded and dismissed.
 */
export async function openUi(url: string): Promise<UiSession> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const context = await browser.newContext({
    viewport: { width: 1400, height: 900 },
    acceptDownloads: true,
  });
  const record: PageRecord = { console: [], dialogs: [], pageErrors: [], blockedRequests: [] };

  await context.route(
    (requested) => !isLoopback(requested),
    (route) => {
      record.blockedRequests.push(route.request().url());
      return route.abort('blockedbyclient');
    },
  );
  const page = await context.newPage();
  // Below the vitest test timeout, so that a missing element fails with its locator.
  page.setDefaultTimeout(10_000);
  page.on('console', (message) => record.console.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => record.pageErrors.push(error.message));
  page.on('dialog', (dialog) => {
    record.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.goto(url);

  return {
    browser,
    context,
    page,
    record,
    close: () => browser.close(),
  };
}

function isLoopback(url: URL): boolean {
  return url.protocol === 'data:' || url.protocol === 'about:' || url.hostname === '127.0.0.1';
}

/** Saves a screenshot of the whole page as test-results/screenshots/<name>.png. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Creates a nodemailer transport to the Mailscope under test, without TLS. */
export function smtpTransport(port: number): Transporter<SMTPTransport.SentMessageInfo> {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
}

/** Builds the raw source of a message with nodemailer, without sending it. */
export async function composeMessage(mail: Mail.Options): Promise<Buffer> {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true });
  const info = await composer.sendMail(mail);
  return info.message as Buffer;
}

/**
 * Sends `message` over a raw SMTP dialogue from `from` to each of `recipients` and
 * returns the id of the stored delivery.
 */
export async function sendRaw(
  port: number,
  from: string,
  recipients: string[],
  message: Buffer,
): Promise<string> {
  const { client: dialogue } = await RawSmtpClient.connect(port);
  try {
    await dialogue.command('EHLO sender.example.test');
    await dialogue.command(`MAIL FROM:<${from}>`);
    for (const recipient of recipients) await dialogue.command(`RCPT TO:<${recipient}>`);
    const dataReply = await dialogue.command('DATA');
    if (dataReply.code !== 354) throw new Error(`DATA was rejected: ${dataReply.raw}`);
    const reply = await dialogue.data(message, 15_000);
    await dialogue.command('QUIT');
    return queuedId(reply.raw);
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
