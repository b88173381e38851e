import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-stand-in.js'));

import type { CoreProcessMessage } from '../../src/desktop/messages.js';
import { CoreHost, type CoreNews } from '../../electron/core-host.js';
import { FakeUtilityProcess, resetElectron, utilityProcess } from './electron-stand-in.js';

const smtp = { host: '127.0.0.1', port: 1025 };
const http = { host: '127.0.0.1', port: 8025 };
const ready: CoreProcessMessage = {
  type: 'ready',
  smtpAddress: smtp,
  httpAddress: http,
  dataDir: '/data',
  maxMessageSize: 1000,
  unread: 2,
};

let news: CoreNews[];
let unexpectedExits: number[];
let host: CoreHost;

function child(index = 0): FakeUtilityProcess {
  const found = utilityProcess.children[index];
  if (!found) throw new Error(`no core process ${index}`);
  return found;
}

/** Posts `message` as the core process does, after the host has attached its listeners. */
function post(message: CoreProcessMessage, index = 0): void {
  child(index).emit('message', message);
}

beforeEach(() => {
  resetElectron();
  news = [];
  unexpectedExits = [];
  host = new CoreHost({
    entryPath: '/app/dist/desktop/core-process.js',
    env: { MAILSCOPE_DB: ':memory:' },
    onNews: (item) => news.push(item),
    onUnexpectedExit: (code) => unexpectedExits.push(code),
    startTimeoutMs: 1000,
    stopTimeoutMs: 200,
  });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('CoreHost.start()', () => {
  it('forks the core entry as a utility process with the environment', async () => {
    const started = host.start();
    post(ready);
    await started;

    expect(utilityProcess.fork).toHaveBeenCalledWith('/app/dist/desktop/core-process.js', [], {
      env: { MAILSCOPE_DB: ':memory:' },
      serviceName: 'Mailscope core',
      stdio: 'inherit',
    });
  });

  it('resolves with the ready message', async () => {
    const started = host.start();
    post(ready);

    expect(await started).toEqual({ kind: 'ready', ready });
  });

  it('sets the ports of a restart in the environment', async () => {
    const started = host.start({
      smtp: { ...smtp, port: 1026 },
      http: { host: '::1', port: 8026 },
    });
    post(ready);
    await started;

    expect(child().options.env).toMatchObject({
      MAILSCOPE_SMTP: '127.0.0.1:1026',
      MAILSCOPE_HTTP: '[::1]:8026',
    });
  });

  it('reports a taken port and kills the process', async () => {
    const error: CoreProcessMessage = {
      type: 'error',
      code: 'EADDRINUSE',
      message: 'listen EADDRINUSE',
      service: 'smtp',
      smtp,
      http,
    };
    const started = host.start();
    post(error);

    expect(await started).toEqual({ kind: 'port-in-use', error });
    expect(child().kill).toHaveBeenCalled();
  });

  it('reports any other start failure', async () => {
    const started = host.start();
    post({ type: 'error', code: 'START_FAILED', message: 'unable to open database file' });

    expect(await started).toEqual({ kind: 'failed', message: 'unable to open database file' });
  });

  it('reports a process that exits before it is ready', async () => {
    const started = host.start();
    child().emit('exit', 1);

    expect(await started).toEqual({
      kind: 'failed',
      message: 'The core process exited with code 1.',
    });
  });

  it('gives up after the start timeout', async () => {
    vi.useFakeTimers();
    const started = host.start();

    await vi.advanceTimersByTimeAsync(1000);

    expect(await started).toEqual({
      kind: 'failed',
      message: 'The core did not start within 1 s.',
    });
    expect(child().kill).toHaveBeenCalled();
  });

  it('starts again after a failed start', async () => {
    const first = host.start();
    post({ type: 'error', code: 'START_FAILED', message: 'x' });
    await first;

    const second = host.start();
    post(ready, 1);

    expect((await second).kind).toBe('ready');
    expect(utilityProcess.children).toHaveLength(2);
  });
});

describe('CoreHost while the core runs', () => {
  beforeEach(async () => {
    const started = host.start();
    post(ready);
    await started;
  });

  it('passes committed messages and unread counts on', () => {
    const committed: CoreProcessMessage = {
      type: 'message-committed',
      deliveryId: 'abc',
      subject: 'Hi',
      from: 'a@example.test',
      local: false,
      unread: 3,
    };
    post(committed);
    post({ type: 'unread-count', unread: 0 });

    expect(news).toEqual([committed, { type: 'unread-count', unread: 0 }]);
  });

  it('sends a file to import and returns its outcome', async () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const imported = host.importFile({ source: '/tmp/a.eml', bytes });

    expect(child().postMessage).toHaveBeenCalledWith({
      type: 'import',
      requestId: 1,
      files: [{ source: '/tmp/a.eml', bytes }],
    });
    post({
      type: 'import-result',
      requestId: 1,
      outcomes: [{ source: '/tmp/a.eml', ok: true, deliveryId: 'abc' }],
    });
    expect(await imported).toEqual({ source: '/tmp/a.eml', ok: true, deliveryId: 'abc' });
  });

  it('matches replies to requests by id', async () => {
    const first = host.deleteAll();
    const second = host.deleteAll();

    post({ type: 'delete-all-result', requestId: 2, deleted: 7 });
    post({ type: 'delete-all-result', requestId: 1, deleted: 0 });

    expect(await first).toBe(0);
    expect(await second).toBe(7);
  });

  it('rejects open requests when the process exits', async () => {
    const deleted = host.deleteAll();

    child().emit('exit', 9);

    await expect(deleted).rejects.toThrow('The core process exited with code 9.');
    expect(unexpectedExits).toEqual([9]);
  });

  it('asks the core to shut down and waits for the exit', async () => {
    const stopped = host.stop();

    expect(child().postMessage).toHaveBeenCalledWith({ type: 'shutdown' });
    child().emit('exit', 0);
    await stopped;

    expect(child().kill).not.toHaveBeenCalled();
    expect(unexpectedExits).toEqual([]);
  });

  it('kills a core that does not shut down in time', async () => {
    await host.stop();

    expect(child().kill).toHaveBeenCalled();
    expect(unexpectedExits).toEqual([]);
  });
});
