import { Menu, Tray, app, nativeImage, type MenuItemConstructorOptions } from 'electron';

/** The state that the tray shows. */
export interface TrayState {
  unread: number;
  notificationsPaused: boolean;
  /** `host:port` of the SMTP endpoint, or null while the core is not running. */
  smtpAddress: string | null;
  /** True while the SMTP endpoint rejects new transactions with a temporary failure. */
  intakePaused?: boolean;
}

export interface TrayActions {
  show(): void;
  setNotificationsPaused(paused: boolean): void;
  copySmtpAddress(): void;
  /** Pauses or resumes intake; the menu has no Pause Intake item without it. */
  setIntakePaused?(paused: boolean): void;
  quit(): void;
}

/** Returns the unread count in words, as the tooltip and the menu show it. */
export function unreadLabel(unread: number): string {
  if (unread === 0) return 'No unread messages';
  if (unread === 1) return '1 unread message';
  return `${unread} unread messages`;
}

/** Returns the tray tooltip: the app name, the unread count and the pause state. */
export function trayTooltip(state: TrayState): string {
  const paused = state.notificationsPaused ? ' (notifications paused)' : '';
  const intake = state.intakePaused ? ' (intake paused)' : '';
  return `Mailscope: ${unreadLabel(state.unread)}${paused}${intake}`;
}

/** Returns the text beside the icon in the macOS menu bar: the unread count, or nothing. */
export function trayTitle(unread: number): string {
  return unread > 0 ? String(unread) : '';
}

export function trayMenuTemplate(
  state: TrayState,
  actions: TrayActions,
): MenuItemConstructorOptions[] {
  return [
    { label: unreadLabel(state.unread), enabled: false },
    { type: 'separator' },
    { label: 'Show Mailscope', click: () => actions.show() },
    {
      label: 'Pause Notifications',
      type: 'checkbox',
      checked: state.notificationsPaused,
      click: (item) => actions.setNotificationsPaused(item.checked),
    },
    ...intakeItems(state, actions),
    {
      label: state.smtpAddress ? `Copy SMTP Address (${state.smtpAddress})` : 'Copy SMTP Address',
      enabled: state.smtpAddress !== null,
      click: () => actions.copySmtpAddress(),
    },
    { type: 'separator' },
    { label: 'Quit Mailscope', click: () => actions.quit() },
  ];
}

function intakeItems(state: TrayState, actions: TrayActions): MenuItemConstructorOptions[] {
  const setIntakePaused = actions.setIntakePaused;
  if (setIntakePaused === undefined) return [];
  return [
    {
      label: 'Pause Intake',
      type: 'checkbox',
      checked: state.intakePaused === true,
      enabled: state.smtpAddress !== null,
      click: (item) => setIntakePaused(item.checked),
    },
  ];
}

/** The tray icon with its tooltip, its menu and, where supported, the dock badge. */
export class MailscopeTray {
  private readonly tray: Tray;

  constructor(
    iconPath: string,
    private readonly actions: TrayActions,
  ) {
    this.tray = new Tray(nativeImage.createFromPath(iconPath));
    // On Windows and most Linux panels a click on the icon opens the window; on macOS
    // a click opens the menu.
    this.tray.on('click', () => actions.show());
  }

  update(state: TrayState): void {
    this.tray.setToolTip(trayTooltip(state));
    this.tray.setTitle(trayTitle(state.unread));
    this.tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate(state, this.actions)));
    // The count on the macOS dock and the Unity launcher; ignored elsewhere.
    app.setBadgeCount(state.unread);
  }

  destroy(): void {
    this.tray.destroy();
  }
}
