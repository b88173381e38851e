import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-stand-in.js'));

import {
  MAX_NOTIFICATIONS_PER_WINDOW,
  MessageNotifier,
  NOTIFICATION_WINDOW_MS,
  deliveryUrl,
  notificationContent,
} from '../../electron/notifications.js';
import { Notification, resetElectron } from './electron-stand-in.js';

const message = { deliveryId: 'abc123', subject: 'Welcome', from: 'App <app@example.test>' };

beforeEach(() => {
  resetElectron();
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('notificationContent()', () => {
  it('shows the sender as title and the subject as body', () => {
    expect(notificationContent(message)).toEqual({
      title: 'App <app@example.test>',
      body: 'Welcome',
    });
  });

  it('names a message without subject or sender', () => {
    expect(notificationContent({ deliveryId: 'x', subject: ' ', from: '' })).toEqual({
      title: 'New message',
      body: '(no subject)',
    });
  });
});

describe('deliveryUrl()', () => {
  it('points at the delivery route of the UI', () => {
    expect(deliveryUrl('http://127.0.0.1:8025', 'abc123')).toBe(
      'http://127.0.0.1:8025/#/deliveries/abc123',
    );
  });
});

describe('MessageNotifier', () => {
  function notifier(options: { paused?: boolean } = {}) {
    const onClick = vi.fn();
    const instance = new MessageNotifier({
      isPaused: () => options.paused ?? false,
      onClick,
      now: () => Date.now(),
    });
    return { instance, onClick };
  }

  it('shows a notification with the message text', () => {
    notifier().instance.notify(message);

    expect(Notification.instances).toHaveLength(1);
    expect(Notification.instances[0]?.options).toMatchObject({
      title: 'App <app@example.test>',
      body: 'Welcome',
    });
    expect(Notification.instances[0]?.show).toHaveBeenCalled();
  });

  it('opens the message on a click', () => {
    const { instance, onClick } = notifier();
    instance.notify(message);

    Notification.instances[0]?.emit('click');

    expect(onClick).toHaveBeenCalledWith('abc123');
  });

  it('shows nothing while paused', () => {
    notifier({ paused: true }).instance.notify(message);

    expect(Notification.instances).toHaveLength(0);
  });

  it('shows nothing where notifications are unsupported', () => {
    Notification.isSupported.mockReturnValueOnce(false);

    notifier().instance.notify(message);

    expect(Notification.instances).toHaveLength(0);
  });

  it('sums up a burst in one notification', () => {
    const { instance, onClick } = notifier();

    for (let i = 0; i < MAX_NOTIFICATIONS_PER_WINDOW + 5; i += 1) {
      instance.notify({ ...message, deliveryId: `id-${i}` });
    }
    expect(Notification.instances).toHaveLength(MAX_NOTIFICATIONS_PER_WINDOW);
    vi.advanceTimersByTime(NOTIFICATION_WINDOW_MS);

    const summary = Notification.instances.at(-1);
    expect(Notification.instances).toHaveLength(MAX_NOTIFICATIONS_PER_WINDOW + 1);
    expect(summary?.options).toEqual({
      title: 'Mailscope',
      body: '5 more new messages',
      silent: false,
    });
    summary?.emit('click');
    expect(onClick).toHaveBeenCalledWith(null);
  });

  it('notifies again singly once the window has passed', () => {
    const { instance } = notifier();
    for (let i = 0; i < MAX_NOTIFICATIONS_PER_WINDOW; i += 1) instance.notify(message);

    vi.advanceTimersByTime(NOTIFICATION_WINDOW_MS + 1);
    instance.notify({ ...message, subject: 'Later' });

    expect(Notification.instances.at(-1)?.options.body).toBe('Later');
  });

  it('drops the pending summary on dispose', () => {
    const { instance } = notifier();
    for (let i = 0; i < MAX_NOTIFICATIONS_PER_WINDOW + 1; i += 1) instance.notify(message);

    instance.dispose();
    vi.advanceTimersByTime(NOTIFICATION_WINDOW_MS);

    expect(Notification.instances).toHaveLength(MAX_NOTIFICATIONS_PER_WINDOW);
  });
});
