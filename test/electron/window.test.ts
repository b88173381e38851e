import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-stand-in.js'));

import { createMainWindow, focusWindow, mainWindowOptions } from '../../electron/window.js';
import {
  loadWindowState,
  saveWindowState,
  windowStateOf,
  type WindowState,
} from '../../electron/window-state.js';
import { BrowserWindow, resetElectron } from './electron-stand-in.js';

const display = { x: 0, y: 0, width: 1920, height: 1080 };

beforeEach(() => {
  resetElectron();
});

describe('mainWindowOptions()', () => {
  it('turns on context isolation, the sandbox and web security', () => {
    const { webPreferences } = mainWindowOptions('/app/preload.cjs', null);

    expect(webPreferences?.contextIsolation).toBe(true);
    expect(webPreferences?.sandbox).toBe(true);
    expect(webPreferences?.webSecurity).toBe(true);
  });

  it('turns off Node integration, insecure content and webviews', () => {
    const { webPreferences } = mainWindowOptions('/app/preload.cjs', null);

    expect(webPreferences?.nodeIntegration).toBe(false);
    expect(webPreferences?.nodeIntegrationInWorker).toBe(false);
    expect(webPreferences?.nodeIntegrationInSubFrames).toBe(false);
    expect(webPreferences?.allowRunningInsecureContent).toBe(false);
    expect(webPreferences?.webviewTag).toBe(false);
    expect(webPreferences?.navigateOnDragDrop).toBe(false);
  });

  it('loads the given preload script', () => {
    expect(mainWindowOptions('/app/preload.cjs', null).webPreferences?.preload).toBe(
      '/app/preload.cjs',
    );
  });

  it('takes the remembered bounds', () => {
    const state: WindowState = { x: 100, y: 50, width: 1000, height: 700, maximized: false };

    const options = mainWindowOptions('/p', state);

    expect(options).toMatchObject({ x: 100, y: 50, width: 1000, height: 700, show: false });
  });

  it('lets the system place a window without a position', () => {
    const options = mainWindowOptions('/p', { width: 1000, height: 700, maximized: false });

    expect(options.x).toBeUndefined();
    expect(options.y).toBeUndefined();
  });
});

describe('createMainWindow()', () => {
  it('passes the options to BrowserWindow and shows it when ready', () => {
    const window = createMainWindow('/p', null, () => undefined) as unknown as BrowserWindow;

    expect(BrowserWindow.instances).toHaveLength(1);
    expect(window.options).toEqual(mainWindowOptions('/p', null));
    expect(window.show).not.toHaveBeenCalled();
    window.emit('ready-to-show');
    expect(window.show).toHaveBeenCalled();
  });

  it('maximizes a window that was maximized', () => {
    const state: WindowState = { width: 1000, height: 700, maximized: true };

    const window = createMainWindow('/p', state, () => undefined) as unknown as BrowserWindow;

    expect(window.maximize).toHaveBeenCalled();
  });

  it('hands the window to onClose before it closes', () => {
    const onClose = vi.fn();
    const window = createMainWindow('/p', null, onClose) as unknown as BrowserWindow;

    window.emit('close');

    expect(onClose).toHaveBeenCalledWith(window);
  });
});

describe('focusWindow()', () => {
  it('restores a minimized window, then shows and focuses it', () => {
    const window = new BrowserWindow({});
    window.isMinimized.mockReturnValue(true);

    focusWindow(window as never);

    expect(window.restore).toHaveBeenCalled();
    expect(window.show).toHaveBeenCalled();
    expect(window.focus).toHaveBeenCalled();
  });
});

describe('window state file', () => {
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mailscope-window-'));
    file = path.join(dir, 'window-state.json');
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('returns what was saved', () => {
    const state: WindowState = { x: 10, y: 20, width: 1200, height: 800, maximized: true };

    saveWindowState(file, state);

    expect(loadWindowState(file, [display])).toEqual(state);
  });

  it('saves into a user data folder that does not exist yet', async () => {
    const nested = path.join(dir, 'new', 'window-state.json');

    saveWindowState(nested, { width: 1000, height: 700, maximized: false });

    expect(JSON.parse(await readFile(nested, 'utf8'))).toMatchObject({ width: 1000 });
  });

  it('returns null for a missing file', () => {
    expect(loadWindowState(file, [display])).toBeNull();
  });

  it('returns null for invalid JSON', async () => {
    await writeFile(file, '{ width: ');

    expect(loadWindowState(file, [display])).toBeNull();
  });

  it('returns null for a size below the minimum', async () => {
    await writeFile(file, JSON.stringify({ width: 100, height: 50, maximized: false }));

    expect(loadWindowState(file, [display])).toBeNull();
  });

  it('drops a position that is off every display', async () => {
    await writeFile(file, JSON.stringify({ x: 5000, y: 20, width: 1000, height: 700 }));

    const state = loadWindowState(file, [display]);

    expect(state).toEqual({ width: 1000, height: 700, maximized: false });
  });

  it('reads the bounds of a window when not maximized', () => {
    const window = new BrowserWindow({});
    window.isMaximized.mockReturnValue(true);

    expect(windowStateOf(window as never)).toEqual({
      x: 40,
      y: 30,
      width: 1100,
      height: 760,
      maximized: true,
    });
  });
});
