import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Returns a new random id of 22 base62 characters (about 131 bits), the same length
 * and alphabet as Mailpit's message ids, so ids look familiar to its API clients.
 */
export function newId(): string {
  const bytes = randomBytes(22);
  let id = '';
  for (const byte of bytes) {
    // The slight modulo bias is harmless: ids only need to be unique, not uniform.
    id += ALPHABET[byte % 62];
  }
  return id;
}
