import { EventEmitter } from 'node:events';

import { vi } from 'vitest';

/**
 * A small stand-in for the parts of the `electron` module that the main process uses,
 * for `vi.mock('electron', () => import('./electron-stand-in.js'))`. Each object records
 * what it was given, so tests assert on what the main process passes to Electron.
 * `resetElectron()` clears every record between tests.
 */

/** The event object of will-navigate and will-frame-navigate. */
export interface NavigationEvent {
  url: string;
  isMainFrame: boolean;
  preventDefault(): void;
}

export class FakeWebContents extends EventEmitter {
  readonly mainFrame = { url: '' };
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  readonly setWindowOpenHandler = vi.fn(
    (handler: (details: { url: string }) => { action: string }) => {
      this.windowOpenHandler = handler;
    },
  );

  /** Emits a navigation event as Electron does and returns true when a listener cancelled it. */
  navigate(
    eventName: 'will-navigate' | 'will-frame-navigate',
    url: string,
    isMainFrame = true,
  ): boolean {
    let prevented = false;
    const event: NavigationEvent = { url, isMainFrame, preventDefault: () => (prevented = true) };
    this.emit(eventName, event);
    return prevented;
  }
}

export class BrowserWindow extends EventEmitter {
  static instances: BrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  readonly loadURL = vi.fn(async (_url: string) => undefined);
  readonly show = vi.fn();
  readonly focus = vi.fn();
  readonly restore = vi.fn();
  readonly maximize = vi.fn();
  readonly isMinimized = vi.fn(() => false);
  readonly isDestroyed = vi.fn(() => false);
  readonly isMaximized = vi.fn(() => false);
  readonly getNormalBounds = vi.fn(() => ({ x: 40, y: 30, width: 1100, height: 760 }));

  constructor(readonly options: Record<string, unknown>) {
    super();
    BrowserWindow.instances.push(this);
  }
}

export const app = Object.assign(new EventEmitter(), {
  requestSingleInstanceLock: vi.fn(() => true),
  quit: vi.fn(),
  setBadgeCount: vi.fn(() => true),
  getPath: vi.fn(() => '/tmp/mailscope-user-data'),
});

export const shell = {
  openExternal: vi.fn(async (_url: string) => undefined),
  openPath: vi.fn(async (_path: string) => ''),
};

export const clipboard = { writeText: vi.fn() };

export const dialog = {
  showMessageBox: vi.fn(async (..._args: unknown[]) => ({ response: 1, checkboxChecked: false })),
  showErrorBox: vi.fn(),
  showOpenDialog: vi.fn(async () => ({ canceled: true, filePaths: [] as string[] })),
};

export const Menu = {
  buildFromTemplate: vi.fn((template: unknown[]) => ({ template })),
  setApplicationMenu: vi.fn(),
};

export const nativeImage = { createFromPath: vi.fn((path: string) => ({ path })) };

export class Tray extends EventEmitter {
  static instances: Tray[] = [];
  readonly setToolTip = vi.fn();
  readonly setTitle = vi.fn();
  readonly setContextMenu = vi.fn();
  readonly destroy = vi.fn();

  constructor(readonly image: unknown) {
    super();
    Tray.instances.push(this);
  }
}

export class Notification extends EventEmitter {
  static instances: Notification[] = [];
  static isSupported = vi.fn(() => true);
  readonly show = vi.fn();
  readonly close = vi.fn();

  constructor(readonly options: { title: string; body: string }) {
    super();
    Notification.instances.push(this);
  }
}

export const ipcMain = new EventEmitter();

export class FakeUtilityProcess extends EventEmitter {
  readonly postMessage = vi.fn();
  readonly kill = vi.fn(() => {
    setImmediate(() => this.emit('exit', 15));
    return true;
  });

  constructor(
    readonly modulePath: string,
    readonly args: string[],
    readonly options: { env?: NodeJS.ProcessEnv },
  ) {
    super();
  }
}

export const utilityProcess = {
  children: [] as FakeUtilityProcess[],
  fork: vi.fn((modulePath: string, args: string[], options: { env?: NodeJS.ProcessEnv }) => {
    const child = new FakeUtilityProcess(modulePath, args, options);
    utilityProcess.children.push(child);
    return child;
  }),
};

/** Clears every recorded call, instance and listener. */
export function resetElectron(): void {
  vi.clearAllMocks();
  BrowserWindow.instances = [];
  Tray.instances = [];
  Notification.instances = [];
  utilityProcess.children = [];
  app.removeAllListeners();
  ipcMain.removeAllListeners();
}
