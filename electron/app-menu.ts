import { Menu, dialog, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';

export interface AppMenuActions {
  importMessages(): void;
  deleteAllMessages(): void;
  openDataFolder(): void;
  copySmtpAddress(): void;
}

/**
 * Returns the application menu: the standard roles of each platform (the app menu on
 * macOS, Edit, View and Window everywhere) with Mailscope's own commands in File and
 * Messages.
 */
export function appMenuTemplate(
  platform: NodeJS.Platform,
  actions: AppMenuActions,
): MenuItemConstructorOptions[] {
  const isMac = platform === 'darwin';
  const fileMenu: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      {
        label: 'Import Messages…',
        accelerator: 'CmdOrCtrl+O',
        click: () => actions.importMessages(),
      },
      { type: 'separator' },
      isMac ? { role: 'close' } : { role: 'quit' },
    ],
  };
  const messagesMenu: MenuItemConstructorOptions = {
    label: 'Messages',
    submenu: [
      { label: 'Copy SMTP Address', click: () => actions.copySmtpAddress() },
      { label: 'Open Data Folder', click: () => actions.openDataFolder() },
      { type: 'separator' },
      { label: 'Delete All Messages…', click: () => actions.deleteAllMessages() },
    ],
  };

  return [
    ...(isMac ? [{ role: 'appMenu' } as const] : []),
    fileMenu,
    { role: 'editMenu' },
    { role: 'viewMenu' },
    messagesMenu,
    { role: 'windowMenu' },
    ...(isMac ? [] : [{ role: 'help' as const, submenu: [{ role: 'about' as const }] }]),
  ];
}

export function setupAppMenu(platform: NodeJS.Platform, actions: AppMenuActions): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate(platform, actions)));
}

/** Asks whether to delete every message; resolves true only on an explicit yes. */
export async function confirmDeleteAll(window: BrowserWindow | null): Promise<boolean> {
  const options = {
    type: 'warning' as const,
    buttons: ['Delete All', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
    message: 'Delete all messages?',
    detail:
      'Every stored message is deleted with its delivery trace. Deliveries still in ' +
      'progress are kept. This cannot be undone.',
  };
  const { response } = window
    ? await dialog.showMessageBox(window, options)
    : await dialog.showMessageBox(options);
  return response === 0;
}
