import { Hono } from 'hono';

import { ImportError, type ImportResult } from '../import/index.js';
import type { RuleService } from '../rules/index.js';
import { apiError } from './responses.js';

/** Path of the import route under the API prefix; the 1 MiB request body limit skips it. */
export const IMPORT_ROUTE = '/import';

export interface ImportRouteOptions {
  /** The core's import: stores one message as a local delivery through the pipeline. */
  importMessage: (bytes: Buffer, options: { source: string }) => Promise<ImportResult>;
  /** Largest message accepted, in bytes: the same limit as over SMTP. */
  maxMessageSize: number;
  /** The pause switch: while intake is paused, POST /import stores nothing and returns 503. */
  rules?: Pick<RuleService, 'intakeState'>;
}

/** Message of the 503 response of the HTTP routes that store mail while intake is paused. */
export const INTAKE_PAUSED_MESSAGE =
  'Intake is paused, so no message was stored. Resume it in the inspector or with ' +
  'PUT /api/mailscope/intake {"paused": false}.';

/** The limits a client needs before it sends messages to POST /import. */
export interface ImportLimits {
  maxMessageSize: number;
}

/**
 * Routes that store message files as local deliveries. `POST /import` takes one message as
 * the raw request body (`message/rfc822`), with its origin in the `source` query parameter,
 * and responds with 201 and the ImportResult. It responds with 413 above the message size
 * limit, 422 when the body is no email message, and 503 while intake is paused.
 * `GET /import` returns the ImportLimits.
 */
export function importRoutes(options: ImportRouteOptions): Hono {
  const routes = new Hono();
  const limit = options.maxMessageSize;

  routes.get(IMPORT_ROUTE, (c) => c.json({ maxMessageSize: limit } satisfies ImportLimits));

  routes.post(IMPORT_ROUTE, async (c) => {
    if (options.rules?.intakeState().paused) return apiError(c, 503, INTAKE_PAUSED_MESSAGE);

    const declared = Number(c.req.header('content-length') ?? Number.NaN);
    if (declared > limit) return apiError(c, 413, tooLarge(declared, limit));

    const bytes = await readBody(c.req.raw, limit);
    if (bytes === null) return apiError(c, 413, tooLarge(null, limit));

    const source = c.req.query('source') || 'an HTTP upload';
    try {
      const result = await options.importMessage(bytes, { source });
      return c.json(result, 201);
    } catch (error) {
      if (error instanceof ImportError) return apiError(c, 422, error.message);
      throw error;
    }
  });
  return routes;
}

function tooLarge(size: number | null, limit: number): string {
  const subject = size === null ? 'The message is' : `The message has ${size} bytes,`;
  return `${subject} larger than the message size limit of ${limit} bytes.`;
}

/** Reads the request body, or returns null as soon as it passes `limit` bytes. */
async function readBody(request: Request, limit: number): Promise<Buffer | null> {
  if (request.body === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let length = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return Buffer.concat(chunks, length);
}
