import type { MenuItemConstructorOptions } from 'electron';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-stand-in.js'));

import {
  MailscopeTray,
  trayMenuTemplate,
  trayTitle,
  trayTooltip,
  unreadLabel,
  type TrayActions,
  type TrayState,
} from '../../electron/tray.js';
import { Menu, Tray, app, nativeImage, resetElectron } from './electron-stand-in.js';

const running: TrayState = { unread: 3, notificationsPaused: false, smtpAddress: '127.0.0.1:1025' };

function fakeActions() {
  return {
    show: vi.fn<() => void>(),
    setNotificationsPaused: vi.fn<(paused: boolean) => void>(),
    copySmtpAddress: vi.fn<() => void>(),
    quit: vi.fn<() => void>(),
  } satisfies TrayActions;
}

function item(template: MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions {
  const found = template.find((entry) => entry.label?.startsWith(label));
  if (!found) throw new Error(`no menu item starts with ${label}`);
  return found;
}

function click(entry: MenuItemConstructorOptions, checked = false): void {
  entry.click?.({ checked } as never, undefined, {} as never);
}

beforeEach(() => {
  resetElectron();
});

describe('tray labels', () => {
  it.each([
    [0, 'No unread messages'],
    [1, '1 unread message'],
    [42, '42 unread messages'],
  ])('says %i as %j', (unread, expected) => {
    expect(unreadLabel(unread)).toBe(expected);
  });

  it('puts the count in the tooltip', () => {
    expect(trayTooltip({ ...running, unread: 1 })).toBe('Mailscope: 1 unread message');
  });

  it('says in the tooltip that notifications are paused', () => {
    expect(trayTooltip({ ...running, unread: 0, notificationsPaused: true })).toBe(
      'Mailscope: No unread messages (notifications paused)',
    );
  });

  it.each([
    [0, ''],
    [1, '1'],
    [250, '250'],
  ])('shows %i as the title %j', (unread, expected) => {
    expect(trayTitle(unread)).toBe(expected);
  });
});

describe('trayMenuTemplate()', () => {
  it('has Show, Pause Notifications, Copy SMTP Address and Quit', () => {
    const labels = trayMenuTemplate(running, fakeActions()).map((entry) => entry.label);

    expect(labels).toEqual([
      '3 unread messages',
      undefined,
      'Show Mailscope',
      'Pause Notifications',
      'Copy SMTP Address (127.0.0.1:1025)',
      undefined,
      'Quit Mailscope',
    ]);
  });

  it('calls each action from its item', () => {
    const actions = fakeActions();
    const template = trayMenuTemplate(running, actions);

    click(item(template, 'Show'));
    click(item(template, 'Pause'), true);
    click(item(template, 'Copy SMTP'));
    click(item(template, 'Quit'));

    expect(actions.show).toHaveBeenCalled();
    expect(actions.setNotificationsPaused).toHaveBeenCalledWith(true);
    expect(actions.copySmtpAddress).toHaveBeenCalled();
    expect(actions.quit).toHaveBeenCalled();
  });

  it('checks Pause Notifications while paused', () => {
    const template = trayMenuTemplate({ ...running, notificationsPaused: true }, fakeActions());

    expect(item(template, 'Pause').checked).toBe(true);
  });

  it('pauses intake from the menu', () => {
    const setIntakePaused = vi.fn<(paused: boolean) => void>();
    const template = trayMenuTemplate(running, { ...fakeActions(), setIntakePaused });
    const pause = item(template, 'Pause Intake');

    expect(pause.type).toBe('checkbox');
    expect(pause.checked).toBe(false);
    click(pause, true);
    expect(setIntakePaused).toHaveBeenCalledWith(true);
  });

  it('shows paused intake as checked and in the tooltip', () => {
    const state = { ...running, intakePaused: true };
    const template = trayMenuTemplate(state, { ...fakeActions(), setIntakePaused: vi.fn() });

    expect(item(template, 'Pause Intake').checked).toBe(true);
    expect(trayTooltip(state)).toBe('Mailscope: 3 unread messages (intake paused)');
  });

  it('has no Pause Intake item without the action', () => {
    const template = trayMenuTemplate(running, fakeActions());

    expect(template.some((entry) => entry.label === 'Pause Intake')).toBe(false);
  });

  it('disables copying while no core runs', () => {
    const template = trayMenuTemplate({ ...running, smtpAddress: null }, fakeActions());

    expect(item(template, 'Copy SMTP').enabled).toBe(false);
  });
});

describe('MailscopeTray', () => {
  it('creates the tray with the icon file', () => {
    new MailscopeTray('/app/tray-icon.png', fakeActions());

    expect(nativeImage.createFromPath).toHaveBeenCalledWith('/app/tray-icon.png');
    expect(Tray.instances[0]?.image).toEqual({ path: '/app/tray-icon.png' });
  });

  it('sets tooltip, title, menu and badge on update', () => {
    const tray = new MailscopeTray('/icon.png', fakeActions());

    tray.update({ ...running, unread: 1 });

    const fake = Tray.instances[0];
    expect(fake?.setToolTip).toHaveBeenCalledWith('Mailscope: 1 unread message');
    expect(fake?.setTitle).toHaveBeenCalledWith('1');
    expect(Menu.buildFromTemplate).toHaveBeenCalledTimes(1);
    expect(fake?.setContextMenu).toHaveBeenCalledWith(
      Menu.buildFromTemplate.mock.results[0]?.value,
    );
    expect(app.setBadgeCount).toHaveBeenCalledWith(1);
  });

  it('shows the window on a click on the icon', () => {
    const actions = fakeActions();
    new MailscopeTray('/icon.png', actions);

    Tray.instances[0]?.emit('click');

    expect(actions.show).toHaveBeenCalled();
  });
});
