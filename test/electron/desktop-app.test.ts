import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import nodemailer from 'nodemailer';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findFreePort } from '../../electron/port-probe.js';
import { ROOT, buildStaleSteps, checkDesktop } from '../../scripts/launch-checks.js';

// The real app, end to end: Electron starts the core in its utility process and opens
// the window, mail goes in over SMTP, and the window shows it. It needs the Electron
// binary and a display, so elsewhere it reports itself skipped with the reason.
const desktop = checkDesktop();
const skipReason = 'reason' in desktop ? desktop.reason : null;
const title = skipReason
  ? `desktop app end to end (skipped: ${skipReason})`
  : 'desktop app end to end';

describe.skipIf(skipReason !== null)(title, () => {
  let app: ElectronApplication;
  let window: Page;
  let tempDir: string;
  let smtpPort: number;
  let httpPort: number;

  beforeAll(async () => {
    if (!('electronPath' in desktop)) return;
    buildStaleSteps({ desktop: true });
    tempDir = await mkdtemp(path.join(tmpdir(), 'mailscope-desktop-'));
    smtpPort = (await findFreePort('127.0.0.1', 20_000)) ?? 0;
    httpPort = (await findFreePort('127.0.0.1', 21_000)) ?? 0;

    app = await _electron.launch({
      executablePath: desktop.electronPath,
      // Chromium refuses to run as root with its sandbox on.
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), ROOT],
      cwd: ROOT,
      env: {
        ...(process.env as Record<string, string>),
        MAILSCOPE_SMTP: `127.0.0.1:${smtpPort}`,
        MAILSCOPE_HTTP: `127.0.0.1:${httpPort}`,
        MAILSCOPE_DB: ':memory:',
        MAILSCOPE_DATA_DIR: path.join(tempDir, 'data'),
        MAILSCOPE_USER_DATA_DIR: path.join(tempDir, 'user-data'),
      },
      timeout: 60_000,
    });
    window = await app.firstWindow();
    await window.waitForURL(`http://127.0.0.1:${httpPort}/**`, { timeout: 60_000 });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  });

  it('opens the window on the core HTTP address', () => {
    expect(new URL(window.url()).origin).toBe(`http://127.0.0.1:${httpPort}`);
  });

  it('gives the page no Node.js globals', async () => {
    const types = await window.evaluate(() => {
      const scope = globalThis as Record<string, unknown>;
      return [typeof scope.require, typeof scope.process, typeof scope.module];
    });

    expect(types).toEqual(['undefined', 'undefined', 'undefined']);
  });

  it('exposes only the desktop API from the preload script', async () => {
    const keys = await window.evaluate(() =>
      Object.keys((globalThis as { mailscope?: object }).mailscope ?? {}),
    );

    expect(keys).toEqual(['restartOnFreePorts']);
  });

  it('shows a message sent over SMTP', async () => {
    const subject = `Desktop end to end ${Date.now()}`;
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: smtpPort,
      ignoreTLS: true,
    });

    await transport.sendMail({
      from: 'app@example.test',
      to: 'user@example.test',
      subject,
      text: 'Hello from the end-to-end test.',
    });

    await expect(window.getByText(subject).first().waitFor({ timeout: 20_000 })).resolves.toBe(
      undefined,
    );
  });
});
