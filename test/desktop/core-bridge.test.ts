import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import nodemailer from 'nodemailer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { Config } from '../../src/config.js';
import { startCore, type Core } from '../../src/core.js';
import { runCoreBridge, startError } from '../../src/desktop/core-bridge.js';
import type { CoreProcessMessage, MainProcessMessage } from '../../src/desktop/messages.js';
import { silentLogger } from '../store/helpers.js';

/** A stand-in for Electron's parentPort that records posts and delivers requests. */
class FakeParentPort {
  readonly posted: CoreProcessMessage[] = [];
  private listener: ((event: { data: unknown }) => void) | null = null;

  postMessage(message: CoreProcessMessage): void {
    this.posted.push(message);
  }

  on(_event: 'message', listener: (event: { data: unknown }) => void): void {
    this.listener = listener;
  }

  send(message: MainProcessMessage): void {
    this.listener?.({ data: message });
  }

  /** Waits until a posted message matches, for at most two seconds. */
  async waitFor<T extends CoreProcessMessage>(
    match: (message: CoreProcessMessage) => message is T,
  ) {
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const found = this.posted.find(match);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no matching message; posted: ${JSON.stringify(this.posted)}`);
  }
}

const message = Buffer.from(
  'From: App <app@example.test>\r\nTo: ann@example.test\r\nSubject: Bridged\r\n\r\nHello\r\n',
);

let dataDir: string;
let port: FakeParentPort;
let core: Core | null;
let exitCodes: number[];

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    MAILSCOPE_SMTP: '127.0.0.1:0',
    MAILSCOPE_HTTP: '127.0.0.1:0',
    MAILSCOPE_DB: ':memory:',
    MAILSCOPE_DATA_DIR: dataDir,
    ...extra,
  };
}

function run(extra: NodeJS.ProcessEnv = {}): Promise<Core | null> {
  return runCoreBridge({
    port,
    env: env(extra),
    startCore,
    createLogger: () => silentLogger,
    exit: (code) => exitCodes.push(code),
  });
}

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-bridge-'));
  port = new FakeParentPort();
  core = null;
  exitCodes = [];
});

afterEach(async () => {
  await core?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('runCoreBridge()', () => {
  it('posts ready with the bound addresses', async () => {
    core = await run();

    expect(port.posted[0]).toEqual({
      type: 'ready',
      smtpAddress: core?.smtpAddress,
      httpAddress: core?.httpAddress,
      dataDir,
      maxMessageSize: 50 * 1024 * 1024,
      unread: 0,
    });
  });

  it('posts START_FAILED for an invalid setting', async () => {
    core = await run({ MAILSCOPE_SMTP: 'not-an-address:x' });

    expect(core).toBeNull();
    expect(port.posted).toEqual([
      {
        type: 'error',
        code: 'START_FAILED',
        message: expect.stringContaining('Invalid MAILSCOPE_SMTP value'),
      },
    ]);
  });

  it('exits on shutdown after a failed start', async () => {
    core = await run({ MAILSCOPE_SMTP: 'not-an-address:x' });

    port.send({ type: 'shutdown' });
    await new Promise((resolve) => setTimeout(resolve, 10));

    expect(exitCodes).toEqual([0]);
  });

  it('posts EADDRINUSE naming the taken SMTP port', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const taken = (blocker.address() as net.AddressInfo).port;

    try {
      core = await run({ MAILSCOPE_SMTP: `127.0.0.1:${taken}` });
    } finally {
      blocker.close();
    }

    expect(core).toBeNull();
    expect(port.posted[0]).toMatchObject({
      type: 'error',
      code: 'EADDRINUSE',
      service: 'smtp',
      smtp: { host: '127.0.0.1', port: taken },
    });
  });

  it('forwards a message received over SMTP with subject, sender and count', async () => {
    core = await run();
    const transport = nodemailer.createTransport({
      host: core?.smtpAddress.host,
      port: core?.smtpAddress.port,
      ignoreTLS: true,
    });

    await transport.sendMail({
      from: 'App <app@example.test>',
      to: 'ann@example.test',
      subject: 'Over SMTP',
      text: 'Hello',
    });
    const committed = await port.waitFor(
      (item): item is Extract<CoreProcessMessage, { type: 'message-committed' }> =>
        item.type === 'message-committed',
    );

    expect(committed).toMatchObject({
      subject: 'Over SMTP',
      from: 'App <app@example.test>',
      local: false,
      unread: 1,
    });
  });

  it('imports a file on request and marks its message local', async () => {
    core = await run();

    port.send({ type: 'import', requestId: 7, files: [{ source: '/tmp/a.eml', bytes: message }] });
    const result = await port.waitFor(
      (item): item is Extract<CoreProcessMessage, { type: 'import-result' }> =>
        item.type === 'import-result',
    );

    const outcome = result.outcomes[0];
    expect(result.requestId).toBe(7);
    expect(outcome?.ok).toBe(true);
    expect(port.posted).toContainEqual(
      expect.objectContaining({ type: 'message-committed', subject: 'Bridged', local: true }),
    );
  });

  it('reports a refused file in the outcome', async () => {
    core = await run();

    port.send({
      type: 'import',
      requestId: 1,
      files: [{ source: '/tmp/empty.eml', bytes: new Uint8Array() }],
    });
    const result = await port.waitFor(
      (item): item is Extract<CoreProcessMessage, { type: 'import-result' }> =>
        item.type === 'import-result',
    );

    expect(result.outcomes).toEqual([
      { source: '/tmp/empty.eml', ok: false, error: '/tmp/empty.eml is empty.' },
    ]);
  });

  it('deletes every message on request and posts the new count', async () => {
    core = await run();
    await core?.importMessage(message, { source: 'a.eml' });

    port.send({ type: 'delete-all', requestId: 3 });
    const result = await port.waitFor(
      (item): item is Extract<CoreProcessMessage, { type: 'delete-all-result' }> =>
        item.type === 'delete-all-result',
    );

    expect(result.deleted).toBe(1);
    expect(port.posted).toContainEqual({ type: 'unread-count', unread: 0 });
  });

  it('closes the core and exits on shutdown', async () => {
    core = await run();

    port.send({ type: 'shutdown' });
    for (let attempt = 0; attempt < 100 && exitCodes.length === 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }

    expect(exitCodes).toEqual([0]);
    await expect(core?.importMessage(message, { source: 'late.eml' })).rejects.toThrow(
      'shutting down',
    );
  });
});

describe('startError()', () => {
  const config = {
    smtp: { host: '127.0.0.1', port: 1025 },
    http: { host: '127.0.0.1', port: 8025 },
  } as Config;

  it('names HTTP when the taken port is the HTTP one', () => {
    const error = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE', port: 8025 });

    expect(startError(error, config)).toMatchObject({ code: 'EADDRINUSE', service: 'http' });
  });

  it('reports other errors as START_FAILED', () => {
    const error = Object.assign(new Error('permission denied'), { code: 'EACCES', port: 25 });

    expect(startError(error, config)).toEqual({
      type: 'error',
      code: 'START_FAILED',
      message: 'permission denied',
    });
  });
});
