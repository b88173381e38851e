import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

import type { ApiErrorBody } from './api-types.js';

/** Sends an API error: `{ error: message }` with `status`. */
export function apiError(c: Context, status: ContentfulStatusCode, message: string): Response {
  return c.json({ error: message } satisfies ApiErrorBody, status);
}

/**
 * Returns a Buffer typed as the body Hono accepts. Buffers from better-sqlite3 and
 * node:fs own a plain ArrayBuffer, never a SharedArrayBuffer, so no copy is needed.
 */
export function responseBytes(buffer: Buffer): Uint8Array<ArrayBuffer> {
  return buffer as Uint8Array<ArrayBuffer>;
}
