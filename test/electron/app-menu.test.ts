import type { MenuItemConstructorOptions } from 'electron';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-stand-in.js'));

import {
  appMenuTemplate,
  confirmDeleteAll,
  setupAppMenu,
  type AppMenuActions,
} from '../../electron/app-menu.js';
import { BrowserWindow, Menu, dialog, resetElectron } from './electron-stand-in.js';

function fakeActions() {
  return {
    importMessages: vi.fn<() => void>(),
    deleteAllMessages: vi.fn<() => void>(),
    openDataFolder: vi.fn<() => void>(),
    copySmtpAddress: vi.fn<() => void>(),
  } satisfies AppMenuActions;
}

function submenu(
  template: MenuItemConstructorOptions[],
  label: string,
): MenuItemConstructorOptions[] {
  const menu = template.find((entry) => entry.label === label);
  return (menu?.submenu ?? []) as MenuItemConstructorOptions[];
}

function clickItem(items: MenuItemConstructorOptions[], label: string): void {
  const found = items.find((entry) => entry.label === label);
  if (!found?.click) throw new Error(`no item ${label}`);
  found.click({} as never, undefined, {} as never);
}

beforeEach(() => {
  resetElectron();
});

describe('appMenuTemplate()', () => {
  it('uses the standard roles on macOS', () => {
    const roles = appMenuTemplate('darwin', fakeActions()).map((entry) => entry.role);

    expect(roles).toEqual(['appMenu', undefined, 'editMenu', 'viewMenu', undefined, 'windowMenu']);
  });

  it('uses the standard roles with Quit and About on Linux and Windows', () => {
    const template = appMenuTemplate('linux', fakeActions());

    expect(template.map((entry) => entry.role)).toEqual([
      undefined,
      'editMenu',
      'viewMenu',
      undefined,
      'windowMenu',
      'help',
    ]);
    expect(submenu(template, 'File').at(-1)?.role).toBe('quit');
  });

  it('lists the Mailscope commands under Messages', () => {
    const labels = submenu(appMenuTemplate('linux', fakeActions()), 'Messages').map(
      (entry) => entry.label,
    );

    expect(labels).toEqual([
      'Copy SMTP Address',
      'Open Data Folder',
      undefined,
      'Delete All Messages…',
    ]);
  });

  it('calls each command from its item', () => {
    const actions = fakeActions();
    const template = appMenuTemplate('linux', actions);

    clickItem(submenu(template, 'File'), 'Import Messages…');
    clickItem(submenu(template, 'Messages'), 'Delete All Messages…');
    clickItem(submenu(template, 'Messages'), 'Open Data Folder');
    clickItem(submenu(template, 'Messages'), 'Copy SMTP Address');

    expect(actions.importMessages).toHaveBeenCalled();
    expect(actions.deleteAllMessages).toHaveBeenCalled();
    expect(actions.openDataFolder).toHaveBeenCalled();
    expect(actions.copySmtpAddress).toHaveBeenCalled();
  });
});

describe('setupAppMenu()', () => {
  it('sets the built template as the application menu', () => {
    setupAppMenu('linux', fakeActions());

    const built = Menu.buildFromTemplate.mock.results[0]?.value;
    expect(Menu.setApplicationMenu).toHaveBeenCalledWith(built);
  });
});

describe('confirmDeleteAll()', () => {
  it('asks with Cancel as the default button', async () => {
    const window = new BrowserWindow({});

    await confirmDeleteAll(window as never);

    const [parent, options] = dialog.showMessageBox.mock.calls[0] ?? [];
    expect(parent).toBe(window);
    expect(options).toMatchObject({
      type: 'warning',
      buttons: ['Delete All', 'Cancel'],
      defaultId: 1,
      cancelId: 1,
      message: 'Delete all messages?',
    });
  });

  it('resolves true on Delete All', async () => {
    dialog.showMessageBox.mockResolvedValueOnce({ response: 0, checkboxChecked: false });

    expect(await confirmDeleteAll(null)).toBe(true);
  });

  it('resolves false on Cancel', async () => {
    dialog.showMessageBox.mockResolvedValueOnce({ response: 1, checkboxChecked: false });

    expect(await confirmDeleteAll(null)).toBe(false);
  });
});
