import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Returns the check that AUTH PLAIN and LOGIN credentials go through. With `users` null
 * any non-empty user name passes with any password, which suits a mail sink that only
 * records who logged in. An empty user name never passes, because smtp-server treats an
 * empty user as a failed login.
 */
export function createCredentialCheck(
  users: Record<string, string> | null,
): (username: string, password: string) => boolean {
  return (username, password) => {
    if (username === '') {
      return false;
    }
    if (users === null) {
      return true;
    }
    if (!Object.hasOwn(users, username)) {
      return false;
    }
    return passwordsMatch(password, users[username] as string);
  };
}

/** Compares two passwords in time that does not depend on where they differ. */
function passwordsMatch(given: string, expected: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
