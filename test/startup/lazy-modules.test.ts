import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { Jimp } from 'jimp';
import { afterEach, describe, expect, it } from 'vitest';

import { startServerProcess, type ServerProcess } from '../support/server-process.js';

/**
 * Packages that the headless server loads on first use only: the thumbnail, HTML check,
 * send and relay routes, the message parser, and the terminal log format. Each pattern
 * matches a path inside node_modules, as ES module URL or as CommonJS file name.
 */
const LAZY_PACKAGES: Record<string, RegExp> = {
  jimp: /\/node_modules\/(jimp|@jimp\/[^/]+)\//,
  caniemail: /\/node_modules\/caniemail\//,
  postcss: /\/node_modules\/postcss\//,
  htmlparser2: /\/node_modules\/htmlparser2\//,
  mailparser: /\/node_modules\/mailparser\//,
  libmime: /\/node_modules\/libmime\//,
  mailsplit: /\/node_modules\/@zone-eu\/mailsplit\//,
  'html-to-text': /\/node_modules\/html-to-text\//,
  'nodemailer mail-composer': /\/node_modules\/nodemailer\/.*mail-composer\//,
  'nodemailer smtp-connection': /\/node_modules\/nodemailer\/.*smtp-connection\//,
  'pino-pretty': /\/node_modules\/pino-pretty\//,
};

const MODULE_LOG_PRELOAD = path.resolve(import.meta.dirname, '../support/module-log.mjs');

interface LoggedServer {
  server: ServerProcess;
  base: string;
  /** Stops the server and returns every module it loaded. */
  stop(): Promise<string[]>;
}

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** Starts the CLI with the module log preload and a fresh data folder. */
async function startLogged(): Promise<LoggedServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mailscope-lazy-'));
  const logFile = path.join(dir, 'modules.txt');
  const server = await startServerProcess(
    ['--data-dir', path.join(dir, 'data'), '--no-starttls'],
    20_000,
    { args: ['--import', MODULE_LOG_PRELOAD], env: { MAILSCOPE_MODULE_LOG: logFile } },
  );
  let stopped = false;
  const stop = async (): Promise<string[]> => {
    if (!stopped) {
      stopped = true;
      server.child.kill('SIGTERM');
      await server.exited;
    }
    const text = await readFile(logFile, 'utf8');
    return text.split('\n').filter((line) => line !== '');
  };
  cleanups.push(async () => {
    if (!stopped) server.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  return { server, base: `http://${server.http.host}:${server.http.port}`, stop };
}

/** Returns the names of the lazy packages that appear in a module list. */
function loadedLazyPackages(modules: string[]): string[] {
  const normalized = modules.map((module) => module.replaceAll('\\', '/'));
  return Object.entries(LAZY_PACKAGES)
    .filter(([, pattern]) => normalized.some((module) => pattern.test(module)))
    .map(([name]) => name);
}

describe('headless server modules', () => {
  it('leaves lazy packages unloaded at start', async () => {
    const { base, stop } = await startLogged();
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);

    const modules = await stop();
    expect(modules.some((module) => module.endsWith('/src/core.ts'))).toBe(true);
    expect(loadedLazyPackages(modules)).toEqual([]);
  });

  it('loads them when their routes run', async () => {
    const { base, stop } = await startLogged();
    const png = await new Jimp({ width: 300, height: 200, color: 0x3366ccff }).getBuffer(
      'image/png',
    );
    const sent = await fetch(`${base}/api/v1/send`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        From: { Email: 'sender@example.test' },
        To: [{ Email: 'rcpt@example.test' }],
        Subject: 'Lazy modules',
        HTML: '<p style="color: red">Hello <b>world</b></p>',
        Attachments: [
          { Content: png.toString('base64'), Filename: 'blue.png', ContentType: 'image/png' },
        ],
      }),
    });
    expect(sent.status).toBe(200);
    const { ID: id } = (await sent.json()) as { ID: string };

    const message = (await (await fetch(`${base}/api/v1/message/${id}`)).json()) as {
      Attachments: Array<{ PartID: string; FileName: string }>;
    };
    expect(message.Attachments.map((part) => part.FileName)).toEqual(['blue.png']);
    const partId = message.Attachments[0]?.PartID as string;

    const thumb = await fetch(`${base}/api/v1/message/${id}/part/${partId}/thumb`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    const jpeg = Buffer.from(await thumb.arrayBuffer());
    const decoded = await Jimp.read(jpeg);
    expect([decoded.bitmap.width, decoded.bitmap.height]).toEqual([180, 120]);

    const check = await fetch(`${base}/api/v1/message/${id}/html-check`);
    expect(check.status).toBe(200);
    const report = (await check.json()) as { Total: { Tests: number; Nodes: number } };
    expect(report.Total.Tests).toBeGreaterThan(1);
    expect(report.Total.Nodes).toBeGreaterThan(0);

    const loaded = loadedLazyPackages(await stop());
    for (const name of ['jimp', 'caniemail', 'postcss', 'mailparser', 'nodemailer mail-composer']) {
      expect(loaded).toContain(name);
    }
  });
});
