import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ROOT, checkDesktop } from '../../scripts/launch-checks.js';

// Where the desktop app could start, the test requests the headless server, so that it
// checks the same path on every machine.
const desktop = checkDesktop();
const forceHeadless = 'electronPath' in desktop;

let dataDir: string;
let child: ChildProcess;
let output = '';
let httpUrl: string;

/** Waits until the output shows the HTTP address; the first run may build for a while. */
async function waitForAddress(timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = /HTTP\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    if (match?.[1]) return match[1];
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`npm start printed no HTTP address; output:\n${output}`);
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-start-'));
  child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      MAILSCOPE_SMTP: '127.0.0.1:0',
      MAILSCOPE_HTTP: '127.0.0.1:0',
      MAILSCOPE_DB: ':memory:',
      MAILSCOPE_DATA_DIR: dataDir,
      MAILSCOPE_LOG_LEVEL: 'warn',
      ...(forceHeadless ? { MAILSCOPE_START_HEADLESS: '1' } : {}),
    },
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  httpUrl = await waitForAddress(150_000);
}, 160_000);

afterAll(async () => {
  if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm start on a machine without the desktop app', () => {
  it('says why the desktop app does not start', () => {
    const expected = forceHeadless
      ? 'MAILSCOPE_START_HEADLESS=1 asks for the headless server'
      : ('reason' in desktop && desktop.reason) || '';

    expect(output).toContain(`Mailscope: the desktop app cannot start here, because ${expected}.`);
    expect(output).toContain('open its HTTP address below in a browser');
  });

  it('serves the UI on the printed address', async () => {
    const response = await fetch(`${httpUrl}/`);
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(html).toContain('<title>Mailscope</title>');
    expect(html).toContain('<div id="root"></div>');
  });

  it('ends cleanly on SIGTERM to its pid', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    process.kill(child.pid as number, 'SIGTERM');

    expect(await exited).toBe(0);
  }, 20_000);
});
