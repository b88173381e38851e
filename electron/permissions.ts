import type { Session } from 'electron';

/**
 * Denies every permission that pages ask for (camera, microphone, notifications,
 * geolocation, clipboard reads, fullscreen and the rest), both the prompts and the
 * silent checks, because the inspector needs none of them. Copying from the UI still
 * works: it falls back to the copy command when the clipboard API is refused.
 */
export function denyAllPermissions(target: Session): void {
  target.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  target.setPermissionCheckHandler(() => false);
  target.setDevicePermissionHandler(() => false);
}
