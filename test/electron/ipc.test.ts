import { beforeEach, describe, expect, it, vi, type Mock } from 'vitest';

vi.mock('electron', () => import('./electron-stand-in.js'));

import { isPathList, setupPreloadIpc, type PreloadHandlers } from '../../electron/ipc.js';
import { BrowserWindow, ipcMain, resetElectron } from './electron-stand-in.js';

const origin = 'http://127.0.0.1:8025';

let window: BrowserWindow;
let handlers: PreloadHandlers & {
  emlDropped: Mock<(paths: string[]) => void>;
  restartOnFreePorts: Mock<() => void>;
};
let showingConflict: boolean;

/** Sends on a channel as the preload script of `from` would, from its top frame by default. */
function send(
  channel: string,
  value: unknown,
  from: BrowserWindow = window,
  frame: { url: string } = from.webContents.mainFrame,
): void {
  ipcMain.emit(channel, { sender: from.webContents, senderFrame: frame }, value);
}

beforeEach(() => {
  resetElectron();
  window = new BrowserWindow({});
  window.webContents.mainFrame.url = `${origin}/`;
  showingConflict = false;
  handlers = {
    getWindow: () => window as never,
    getOrigin: () => origin,
    isShowingPortConflict: () => showingConflict,
    emlDropped: vi.fn<(paths: string[]) => void>(),
    restartOnFreePorts: vi.fn<() => void>(),
  };
  setupPreloadIpc(handlers);
});

describe('eml:dropped', () => {
  it('passes the paths from the UI on to the import', () => {
    send('eml:dropped', ['/tmp/a.eml', '/tmp/b.eml']);

    expect(handlers.emlDropped).toHaveBeenCalledWith(['/tmp/a.eml', '/tmp/b.eml']);
  });

  it('ignores another window', () => {
    send('eml:dropped', ['/tmp/a.eml'], new BrowserWindow({}));

    expect(handlers.emlDropped).not.toHaveBeenCalled();
  });

  it('ignores a frame inside the page', () => {
    send('eml:dropped', ['/tmp/a.eml'], window, { url: `${origin}/view/x.html` });

    expect(handlers.emlDropped).not.toHaveBeenCalled();
  });

  it('ignores a page of another origin', () => {
    window.webContents.mainFrame.url = 'data:text/html,conflict';

    send('eml:dropped', ['/tmp/a.eml']);

    expect(handlers.emlDropped).not.toHaveBeenCalled();
  });

  it.each([
    ['a string', '/tmp/a.eml'],
    ['a list with a number', ['/tmp/a.eml', 3]],
    ['a list with an empty path', ['']],
  ])('ignores %s', (_case, value) => {
    send('eml:dropped', value);

    expect(handlers.emlDropped).not.toHaveBeenCalled();
  });

  it('ignores a drop after the window closed', () => {
    window.isDestroyed.mockReturnValue(true);

    send('eml:dropped', ['/tmp/a.eml']);

    expect(handlers.emlDropped).not.toHaveBeenCalled();
  });
});

describe('core:restart-on-free-ports', () => {
  it('restarts from the port-conflict page', () => {
    showingConflict = true;

    send('core:restart-on-free-ports', null);

    expect(handlers.restartOnFreePorts).toHaveBeenCalledTimes(1);
  });

  it('ignores the request while the UI is shown', () => {
    send('core:restart-on-free-ports', null);

    expect(handlers.restartOnFreePorts).not.toHaveBeenCalled();
  });

  it('ignores another window', () => {
    showingConflict = true;

    send('core:restart-on-free-ports', null, new BrowserWindow({}));

    expect(handlers.restartOnFreePorts).not.toHaveBeenCalled();
  });
});

describe('isPathList()', () => {
  it('accepts up to the maximum number of paths', () => {
    expect(isPathList(['/a', '/b'], 2)).toBe(true);
  });

  it('rejects more than the maximum', () => {
    expect(isPathList(['/a', '/b', '/c'], 2)).toBe(false);
  });
});
