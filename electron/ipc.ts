import { ipcMain, type BrowserWindow, type IpcMainEvent } from 'electron';

import type { PreloadChannels } from '../src/desktop/messages.js';
import { isSameOrigin } from './navigation.js';

/** Most paths accepted from one drop. */
const MAX_DROPPED_PATHS = 1000;

export interface PreloadHandlers {
  /** The main window, or null before it exists and after it closed. */
  getWindow(): BrowserWindow | null;
  /** The core's origin, or null while no core runs. */
  getOrigin(): string | null;
  /** True while the window shows the port-conflict page. */
  isShowingPortConflict(): boolean;
  emlDropped(paths: string[]): void;
  restartOnFreePorts(): void;
}

/**
 * True when a message comes from the top frame of the main window. Frames inside the
 * page (such as a message preview) and any other window are rejected.
 */
export function isFromMainFrame(event: IpcMainEvent, window: BrowserWindow | null): boolean {
  if (window === null || window.isDestroyed()) return false;
  return event.sender === window.webContents && event.senderFrame === window.webContents.mainFrame;
}

/** True for an array of at most `max` non-empty strings. */
export function isPathList(value: unknown, max = MAX_DROPPED_PATHS): value is string[] {
  return (
    Array.isArray(value) &&
    value.length <= max &&
    value.every((item) => typeof item === 'string' && item.length > 0)
  );
}

/**
 * Handles the preload script's channels. Each handler checks that the message comes
 * from the main window's top frame on the page it belongs to: dropped files from the UI
 * on the core's origin, the restart from the port-conflict page. Anything else is ignored.
 */
export function setupPreloadIpc(handlers: PreloadHandlers): void {
  on('eml:dropped', (event, paths) => {
    if (!isFromMainFrame(event, handlers.getWindow())) return;
    if (!isSameOrigin(event.senderFrame?.url ?? '', handlers.getOrigin())) return;
    if (!isPathList(paths)) return;
    handlers.emlDropped(paths);
  });
  on('core:restart-on-free-ports', (event) => {
    if (!isFromMainFrame(event, handlers.getWindow())) return;
    if (!handlers.isShowingPortConflict()) return;
    handlers.restartOnFreePorts();
  });
}

/** Listens on one channel of PreloadChannels; the value is unchecked until the listener checks it. */
function on(
  channel: keyof PreloadChannels,
  listener: (event: IpcMainEvent, value: unknown) => void,
): void {
  ipcMain.on(channel, listener);
}
