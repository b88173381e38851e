import { describe, expect, it, vi } from 'vitest';

import { denyAllPermissions } from '../../electron/permissions.js';

/** Creates a stand-in Session that keeps the handlers it is given. */
function fakeSession() {
  return {
    setPermissionRequestHandler: vi.fn(),
    setPermissionCheckHandler: vi.fn(),
    setDevicePermissionHandler: vi.fn(),
  };
}

describe('denyAllPermissions()', () => {
  it.each(['notifications', 'media', 'geolocation', 'clipboard-read', 'fullscreen', 'unknown'])(
    'denies a request for %s',
    (permission) => {
      const session = fakeSession();
      denyAllPermissions(session as never);
      const handler = session.setPermissionRequestHandler.mock.calls[0]?.[0] as (
        contents: unknown,
        permission: string,
        callback: (granted: boolean) => void,
      ) => void;
      const callback = vi.fn();

      handler({}, permission, callback);

      expect(callback).toHaveBeenCalledWith(false);
    },
  );

  it('answers every permission check with false', () => {
    const session = fakeSession();
    denyAllPermissions(session as never);
    const check = session.setPermissionCheckHandler.mock.calls[0]?.[0] as (
      ...args: unknown[]
    ) => boolean;

    expect(check(null, 'clipboard-sanitized-write', 'http://127.0.0.1:8025', {})).toBe(false);
    expect(check(null, 'media', 'http://127.0.0.1:8025', {})).toBe(false);
  });

  it('denies access to USB, HID and serial devices', () => {
    const session = fakeSession();
    denyAllPermissions(session as never);
    const check = session.setDevicePermissionHandler.mock.calls[0]?.[0] as () => boolean;

    expect(check()).toBe(false);
  });
});
