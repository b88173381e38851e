import { BrowserWindow, type BrowserWindowConstructorOptions } from 'electron';

import { MIN_WINDOW_SIZE, type WindowState } from './window-state.js';

const DEFAULT_SIZE = { width: 1280, height: 820 };

/**
 * Returns the options of the main window. The page gets no Node.js: context isolation
 * and the renderer sandbox are on, Node integration is off everywhere, web security
 * stays on, and webviews are disabled. Only the preload script talks to the main
 * process, through the API it exposes.
 */
export function mainWindowOptions(
  preloadPath: string,
  state: WindowState | null,
): BrowserWindowConstructorOptions {
  return {
    width: state?.width ?? DEFAULT_SIZE.width,
    height: state?.height ?? DEFAULT_SIZE.height,
    ...(state?.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : {}),
    minWidth: MIN_WINDOW_SIZE.width,
    minHeight: MIN_WINDOW_SIZE.height,
    title: 'Mailscope',
    // Shown on ready-to-show, so the window does not flash empty.
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  };
}

/**
 * Creates the main window hidden, shows it once its first page is ready, and calls
 * `onClose` with the window before it closes, for saving its state.
 */
export function createMainWindow(
  preloadPath: string,
  state: WindowState | null,
  onClose: (window: BrowserWindow) => void,
): BrowserWindow {
  const window = new BrowserWindow(mainWindowOptions(preloadPath, state));
  if (state?.maximized) window.maximize();
  window.once('ready-to-show', () => window.show());
  window.on('close', () => onClose(window));
  return window;
}

/** Shows, restores and focuses the window, as a second launch or a click on the tray does. */
export function focusWindow(window: BrowserWindow): void {
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}
