import type { Context } from 'hono';

import type { Store } from '../../store/index.js';

/** Mailpit's body for an unknown message id: the text of Go's http.NotFound. */
export const PAGE_NOT_FOUND = '404 page not found';

/** Mailpit's body when `latest` finds no message. */
export const MESSAGE_NOT_FOUND = 'Message not found';

/** Result of reading a JSON request body the way Go's encoding/json decodes it. */
export type JsonBody = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * Reads the request body as JSON. An empty body fails with the text `EOF`, the error that
 * Go's JSON decoder returns and Mailpit sends back.
 */
export async function readJsonBody(c: Context): Promise<JsonBody> {
  const text = await c.req.text();
  if (text.trim() === '') return { ok: false, error: 'EOF' };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/**
 * Returns the value of `key` in a JSON object, matching the key without regard to case
 * when no key matches exactly, as Go's encoding/json does. Clients rely on this: one sends
 * `FileName` where Mailpit's field is `Filename`.
 */
export function field(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (Object.hasOwn(record, key)) return record[key];
  const lower = key.toLowerCase();
  const match = Object.keys(record).find((name) => name.toLowerCase() === lower);
  return match === undefined ? undefined : record[match];
}

/** Returns `field(value, key)` when it is an array of strings, [] when absent or null. */
export function stringList(value: unknown, key: string): string[] | null {
  const list = field(value, key);
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) return null;
  return list as string[];
}

/**
 * Resolves a message id from the path. `latest` is the newest message, or with `?query=`
 * the newest message that matches the search, in the `tz` time zone. Returns null when
 * `latest` finds nothing; another id is returned as it is, to be looked up by the caller.
 */
export function resolveMessageId(c: Context, store: Store, id: string): string | null {
  if (id !== 'latest') return id;
  const query = c.req.query('query');
  if (query !== undefined && query.trim() !== '') {
    const result = store.queries.searchMessages(query, {
      limit: 1,
      timeZone: timeZoneOf(c),
    });
    return result.ids[0] ?? null;
  }
  return store.queries.listMessages({ limit: 1 })[0]?.id ?? null;
}

/** Returns the `tz` query parameter when Intl supports its time zone, else undefined. */
export function timeZoneOf(c: Context): string | undefined {
  const tz = c.req.query('tz');
  if (tz === undefined || tz === '') return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz;
  } catch {
    return undefined;
  }
}

/** Sends the plain-text `ok` that Mailpit's action routes return. */
export function ok(c: Context): Response {
  return c.text('ok');
}

/** Largest value of Go's `int` on 64-bit platforms, the range of `strconv.Atoi`. */
const GO_INT_MAX = 2n ** 63n - 1n;

/**
 * Parses a query parameter the way Go's `strconv.Atoi` does, which Mailpit and MailHog use
 * for `start` and `limit`: an optionally signed base-10 integer, or null when the text is
 * not one or lies outside the 64-bit range. A value beyond Number.MAX_SAFE_INTEGER is
 * clamped to it, so that SQLite receives an integer and not a floating-point number.
 */
export function parseGoInt(text: string | undefined): number | null {
  if (text === undefined || !/^[+-]?\d+$/.test(text)) return null;
  const value = BigInt(text);
  if (value > GO_INT_MAX || value < -GO_INT_MAX - 1n) return null;
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  if (value > max) return Number.MAX_SAFE_INTEGER;
  if (value < -max) return -Number.MAX_SAFE_INTEGER;
  return Number(value);
}
