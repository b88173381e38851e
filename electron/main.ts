import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { app, clipboard, dialog, screen, session, shell, type BrowserWindow } from 'electron';

import type { CoreProcessMessage } from '../src/desktop/messages.js';
import { confirmDeleteAll, setupAppMenu } from './app-menu.js';
import { CoreHost, type CoreNews, type CoreStart } from './core-host.js';
import { importEmlFiles, importFailureText } from './eml-import.js';
import { setupPreloadIpc } from './ipc.js';
import { coreOrigin, setupNavigationGuard } from './navigation.js';
import { MessageNotifier, deliveryUrl } from './notifications.js';
import { denyAllPermissions } from './permissions.js';
import { portConflictUrl, type PortConflict } from './port-conflict.js';
import { suggestFreePorts } from './port-probe.js';
import { emlPathsFromArgv, setupSingleInstance } from './single-instance.js';
import { MailscopeTray } from './tray.js';
import { createMainWindow, focusWindow } from './window.js';
import { loadWindowState, saveWindowState, windowStateOf } from './window-state.js';

/** dist/electron, the folder this file is built into; the app's other files are found from it. */
const buildDir = path.dirname(fileURLToPath(import.meta.url));
const files = {
  preload: path.join(buildDir, 'preload.cjs'),
  coreEntry: path.join(buildDir, '..', 'desktop', 'core-process.js'),
  trayIcon: path.join(buildDir, '..', '..', 'electron', 'assets', 'tray-icon.png'),
};

// MAILSCOPE_USER_DATA_DIR gives a separate profile, for tests or a second installation.
// It is set before the single-instance lock, because the lock lives in that folder.
if (process.env.MAILSCOPE_USER_DATA_DIR) {
  app.setPath('userData', process.env.MAILSCOPE_USER_DATA_DIR);
}
const windowStateFile = path.join(app.getPath('userData'), 'window-state.json');

type Ready = Extract<CoreProcessMessage, { type: 'ready' }>;

const state = {
  window: null as BrowserWindow | null,
  ready: null as Ready | null,
  origin: null as string | null,
  conflict: null as PortConflict | null,
  unread: 0,
  notificationsPaused: false,
  intakePaused: false,
  /** Files named before the core was ready, imported once it is. */
  pendingEmlPaths: emlPathsFromArgv(process.argv, process.cwd()),
  coreStopped: false,
};

const host = new CoreHost({
  entryPath: files.coreEntry,
  env: process.env,
  onNews: receiveNews,
  onUnexpectedExit: (code) => {
    dialog.showErrorBox(
      'Mailscope stopped',
      `The Mailscope core exited unexpectedly with code ${code}. Its log on standard error ` +
        'shows the cause. Start Mailscope again.',
    );
    app.quit();
  },
});
const notifier = new MessageNotifier({
  isPaused: () => state.notificationsPaused,
  onClick: (deliveryId) => showPage(deliveryId),
});
let tray: MailscopeTray | null = null;

function smtpAddressText(): string | null {
  const address = state.ready?.smtpAddress;
  if (!address) return null;
  return `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}

function updateTray(): void {
  tray?.update({
    unread: state.unread,
    notificationsPaused: state.notificationsPaused,
    smtpAddress: smtpAddressText(),
    intakePaused: state.intakePaused,
  });
}

function ensureWindow(): BrowserWindow {
  if (state.window && !state.window.isDestroyed()) return state.window;
  const workAreas = screen.getAllDisplays().map((display) => display.workArea);
  const window = createMainWindow(
    files.preload,
    loadWindowState(windowStateFile, workAreas),
    (closing) => saveWindowState(windowStateFile, windowStateOf(closing)),
  );
  window.on('closed', () => (state.window = null));
  state.window = window;
  return window;
}

/**
 * Shows the window: on one delivery's detail when `deliveryId` is given, else on the page
 * it shows, or on the UI when the window is new.
 */
function showPage(deliveryId: string | null): void {
  const isNew = state.window === null || state.window.isDestroyed();
  const window = ensureWindow();
  if (state.origin !== null && deliveryId !== null) {
    void window.loadURL(deliveryUrl(state.origin, deliveryId));
  } else if (state.origin !== null && isNew) {
    void window.loadURL(`${state.origin}/`);
  }
  focusWindow(window);
}

function receiveNews(news: CoreNews): void {
  state.unread = news.unread;
  updateTray();
  if (news.type === 'message-committed' && !news.local) notifier.notify(news);
}

async function startCore(ports?: PortConflict['suggestion']): Promise<void> {
  handleStart(await host.start(ports ?? undefined));
}

function handleStart(result: CoreStart): void {
  if (result.kind === 'ready') {
    state.ready = result.ready;
    state.origin = coreOrigin(result.ready.httpAddress);
    state.unread = result.ready.unread;
    updateTray();
    const window = ensureWindow();
    void window.loadURL(`${state.origin}/`);
    focusWindow(window);
    const pending = state.pendingEmlPaths.splice(0);
    if (pending.length > 0) void openEmlFiles(pending);
  } else if (result.kind === 'port-in-use') {
    void showPortConflict(result.error);
  } else {
    dialog.showErrorBox('Mailscope could not start', result.message);
    app.quit();
  }
}

async function showPortConflict(
  error: Extract<CoreStart, { kind: 'port-in-use' }>['error'],
): Promise<void> {
  const suggestion = await suggestFreePorts(error.smtp, error.http);
  state.conflict = {
    service: error.service,
    configured: { smtp: error.smtp, http: error.http },
    suggestion,
    detail: error.message,
  };
  const window = ensureWindow();
  void window.loadURL(portConflictUrl(state.conflict));
  focusWindow(window);
}

async function openEmlFiles(paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  if (state.ready === null) {
    state.pendingEmlPaths.push(...paths);
    return;
  }
  const summary = await importEmlFiles(paths, host, state.ready.maxMessageSize);
  const failure = importFailureText(summary);
  if (failure !== null) {
    await dialog.showMessageBox({
      type: 'warning',
      message: 'Some files were not imported',
      detail: failure,
    });
  }
  const [first] = summary.imported;
  if (summary.imported.length === 1 && first) showPage(first.deliveryId);
}

async function chooseEmlFiles(): Promise<void> {
  const options = {
    title: 'Import Messages',
    properties: ['openFile' as const, 'multiSelections' as const],
    filters: [{ name: 'Email messages', extensions: ['eml'] }],
  };
  const result = state.window
    ? await dialog.showOpenDialog(state.window, options)
    : await dialog.showOpenDialog(options);
  if (!result.canceled) await openEmlFiles(result.filePaths);
}

async function deleteAllMessages(): Promise<void> {
  if (!(await confirmDeleteAll(state.window))) return;
  await host.deleteAll();
}

/**
 * Pauses or resumes intake through the core's HTTP API, as the inspector's switch does.
 * NOTE: a pause switched in the inspector reaches the tray only on the next switch here,
 * because the main process does not follow the live events.
 */
async function setIntakePaused(paused: boolean): Promise<void> {
  if (state.origin === null) return;
  const response = await fetch(`${state.origin}/api/mailscope/intake`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ paused }),
  });
  if (!response.ok) throw new Error(`the core replied ${response.status} ${await response.text()}`);
  state.intakePaused = ((await response.json()) as { paused: boolean }).paused;
  updateTray();
}

function copySmtpAddress(): void {
  const address = smtpAddressText();
  if (address) clipboard.writeText(address);
}

function reportFailure(action: string): (error: unknown) => void {
  return (error) => {
    console.error(`main: ${action} failed`, error);
    dialog.showErrorBox(`Mailscope: ${action} failed`, String(error));
  };
}

function setupDesktopFeatures(): void {
  denyAllPermissions(session.defaultSession);
  setupNavigationGuard(() => state.origin);
  setupPreloadIpc({
    getWindow: () => state.window,
    getOrigin: () => state.origin,
    isShowingPortConflict: () => state.conflict !== null,
    emlDropped: (paths) => void openEmlFiles(paths).catch(reportFailure('Import')),
    restartOnFreePorts: () => {
      const ports = state.conflict?.suggestion;
      if (!ports) return;
      state.conflict = null;
      startCore(ports).catch(reportFailure('Restart'));
    },
  });
  setupAppMenu(process.platform, {
    importMessages: () => void chooseEmlFiles().catch(reportFailure('Import')),
    deleteAllMessages: () => void deleteAllMessages().catch(reportFailure('Delete')),
    openDataFolder: () => {
      if (state.ready) void shell.openPath(state.ready.dataDir);
    },
    copySmtpAddress,
  });
  tray = new MailscopeTray(files.trayIcon, {
    show: () => showPage(null),
    setNotificationsPaused: (paused) => {
      state.notificationsPaused = paused;
      updateTray();
    },
    copySmtpAddress,
    setIntakePaused: (paused) => void setIntakePaused(paused).catch(reportFailure('Pause intake')),
    quit: () => app.quit(),
  });
  updateTray();
}

const isPrimaryInstance = setupSingleInstance((paths) => {
  if (state.window) focusWindow(state.window);
  void openEmlFiles(paths).catch(reportFailure('Import'));
});

if (isPrimaryInstance) {
  // macOS sends opened files as events, also before the app is ready.
  app.on('open-file', (event, filePath) => {
    event.preventDefault();
    void openEmlFiles([filePath]).catch(reportFailure('Import'));
  });

  app.on('window-all-closed', () => {
    // On macOS an app keeps running without windows, as the platform expects.
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (state.ready) showPage(null);
  });

  app.on('before-quit', (event) => {
    if (state.coreStopped) return;
    // Stop the core first, so it closes the database and aborts open deliveries cleanly.
    event.preventDefault();
    state.coreStopped = true;
    notifier.dispose();
    void host.stop().finally(() => app.quit());
  });

  await app.whenReady();
  setupDesktopFeatures();
  await startCore().catch(reportFailure('Start'));
}
