import { Notification } from 'electron';

/** The part of a committed message that a notification shows. */
export interface NewMessage {
  deliveryId: string;
  subject: string;
  from: string;
}

/** At most this many notifications show within NOTIFICATION_WINDOW_MS; the rest are summed up. */
export const MAX_NOTIFICATIONS_PER_WINDOW = 3;
export const NOTIFICATION_WINDOW_MS = 5000;

/**
 * Notifications kept referenced. Linux does not always report a closed notification, so
 * the oldest reference is dropped past this count; its click then may do nothing.
 */
const MAX_TRACKED_NOTIFICATIONS = 20;

/** Returns the title and body of a message's notification: the sender, then the subject. */
export function notificationContent(message: NewMessage): { title: string; body: string } {
  return {
    title: message.from.trim() || 'New message',
    body: message.subject.trim() || '(no subject)',
  };
}

/** Returns the UI address of one delivery, which opens its detail view. */
export function deliveryUrl(origin: string, deliveryId: string): string {
  return `${origin}/#/deliveries/${encodeURIComponent(deliveryId)}`;
}

export interface NotifierOptions {
  /** True while the user has paused notifications from the tray. */
  isPaused: () => boolean;
  /** Called with the delivery id on a click, or null on a click on a summary. */
  onClick: (deliveryId: string | null) => void;
  now?: () => number;
}

/**
 * Shows a native notification for each new message. A burst (a test suite sending many
 * messages) shows only the first MAX_NOTIFICATIONS_PER_WINDOW within
 * NOTIFICATION_WINDOW_MS, then one summary with the count of the others once the window
 * has passed.
 */
export class MessageNotifier {
  private shownAt: number[] = [];
  private suppressed = 0;
  private summaryTimer: NodeJS.Timeout | null = null;
  /** Notifications on screen, referenced because Electron drops the click handler of a collected one. */
  private readonly visible = new Set<Notification>();
  private readonly now: () => number;

  constructor(private readonly options: NotifierOptions) {
    this.now = options.now ?? Date.now;
  }

  notify(message: NewMessage): void {
    if (this.options.isPaused() || !Notification.isSupported()) return;

    const now = this.now();
    this.shownAt = this.shownAt.filter((at) => now - at < NOTIFICATION_WINDOW_MS);
    if (this.shownAt.length >= MAX_NOTIFICATIONS_PER_WINDOW) {
      this.suppressed += 1;
      this.summaryTimer ??= setTimeout(() => this.showSummary(), NOTIFICATION_WINDOW_MS);
      return;
    }
    this.shownAt.push(now);
    this.show(notificationContent(message), message.deliveryId);
  }

  /** Cancels the pending summary, for quitting. */
  dispose(): void {
    if (this.summaryTimer) clearTimeout(this.summaryTimer);
    this.summaryTimer = null;
    for (const notification of this.visible) notification.close();
    this.visible.clear();
  }

  private showSummary(): void {
    this.summaryTimer = null;
    const count = this.suppressed;
    this.suppressed = 0;
    if (count === 0 || this.options.isPaused()) return;
    const body = count === 1 ? '1 more new message' : `${count} more new messages`;
    this.shownAt.push(this.now());
    this.show({ title: 'Mailscope', body }, null);
  }

  private show(content: { title: string; body: string }, deliveryId: string | null): void {
    const notification = new Notification({ ...content, silent: false });
    this.visible.add(notification);
    if (this.visible.size > MAX_TRACKED_NOTIFICATIONS) {
      const oldest = this.visible.values().next().value;
      if (oldest) this.visible.delete(oldest);
    }
    notification.on('click', () => {
      this.visible.delete(notification);
      this.options.onClick(deliveryId);
    });
    notification.on('close', () => this.visible.delete(notification));
    notification.show();
  }
}
