import { Hono, type Context } from 'hono';

import type { EventBus } from '../delivery/events.js';
import type { PartContent, Store } from '../store/index.js';
import { cleanFileName } from '../store/parse/file-names.js';
import type { HeaderRecord, PartRecord } from './api-types.js';
import { contentDisposition } from './content-disposition.js';
import { messageHtmlPolicy, prepareMessageHtml } from './message-html.js';
import { apiError, responseBytes } from './responses.js';
import { requestHost } from './security.js';
import { toMessageView } from './views.js';

/**
 * The policy of a part served as a file: a sandbox with no scripts, so that an HTML or
 * SVG attachment opened in a tab runs nothing on the inspector's origin.
 */
const PART_POLICY = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox";

// Content types and charsets as they may appear in a response header; a sender's value
// that does not fit is replaced.
const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+$/;
const CHARSET = /^[\w.:+-]+$/;

export interface MessageRouteOptions {
  store: Store;
  events: EventBus;
  now?: () => number;
}

/** Routes under /messages: a message's views, its files, read state and deletion. */
export function messageRoutes(options: MessageRouteOptions): Hono {
  const { store, events } = options;
  const now = options.now ?? Date.now;
  const routes = new Hono();
  const notFound = (c: Context, id: string): Response =>
    apiError(c, 404, `Message ${id} not found.`);

  routes.get('/messages/:id', (c) => {
    const message = store.queries.getMessage(c.req.param('id'));
    return message === null ? notFound(c, c.req.param('id')) : c.json(toMessageView(message));
  });

  routes.get('/messages/:id/headers', (c) => {
    const id = c.req.param('id');
    if (store.queries.getMessageSubject(id) === null) return notFound(c, id);
    return c.json({ headers: store.queries.listHeaders(id) } satisfies { headers: HeaderRecord[] });
  });

  routes.get('/messages/:id/raw', (c) => serveRaw(c, store));

  routes.get('/messages/:id/parts', (c) => {
    const id = c.req.param('id');
    if (store.queries.getMessageSubject(id) === null) return notFound(c, id);
    return c.json({ parts: store.queries.listParts(id) } satisfies { parts: PartRecord[] });
  });

  routes.get('/messages/:id/parts/:partId', (c) => {
    const { id, partId } = c.req.param();
    const part = store.queries.getPart(id, partId);
    if (part === null) return apiError(c, 404, `Part ${partId} of message ${id} not found.`);
    if (part.kind === 'multipart') {
      return apiError(c, 404, `Part ${partId} is a multipart container and has no content.`);
    }
    return servePart(c, part, c.req.query('inline') === '1');
  });

  routes.get('/messages/:id/html', (c) => {
    const id = c.req.param('id');
    const message = store.queries.getMessage(id);
    if (message === null) return notFound(c, id);
    if (message.html === null) return apiError(c, 404, `Message ${id} has no HTML body.`);

    const policy = messageHtmlPolicy({
      origin: `http://${requestHost(c)}`,
      remote: c.req.query('remote') === '1',
    });
    c.header('Content-Security-Policy', policy);
    c.header('Referrer-Policy', 'no-referrer');
    return c.html(prepareMessageHtml(message.html, store.queries.listParts(id)));
  });

  routes.put('/messages/:id/read', async (c) => {
    const id = c.req.param('id');
    const body = await readJson(c);
    if (body === null || typeof (body as { read?: unknown }).read !== 'boolean') {
      return apiError(c, 400, 'Invalid request body: expected JSON such as {"read": true}.');
    }
    const read = (body as { read: boolean }).read;
    if (!store.queries.setRead(id, read)) return notFound(c, id);

    events.emitUserEvent({ type: 'message.read', deliveryId: id, at: now(), read });
    const message = store.queries.getMessage(id);
    return message === null ? notFound(c, id) : c.json(toMessageView(message));
  });

  routes.delete('/messages/:id', (c) => {
    const id = c.req.param('id');
    if (!store.queries.deleteMessage(id)) return notFound(c, id);
    events.emitUserEvent({ type: 'message.deleted', deliveryId: id, at: now() });
    return c.body(null, 204);
  });

  routes.delete('/messages', (c) => {
    const deleted = store.queries.deleteAll();
    events.emitUserEvent({ type: 'messages.cleared', at: now(), deleted });
    return c.json({ deleted });
  });

  return routes;
}

/** Sends the raw source; `?download=1` makes it a file named after the subject. */
function serveRaw(c: Context, store: Store): Response {
  const id = c.req.param('id') as string;
  const subject = store.queries.getMessageSubject(id);
  const raw = store.queries.getRaw(id);
  if (subject === null || raw === null) return apiError(c, 404, `Message ${id} not found.`);

  c.header('Content-Type', 'message/rfc822');
  c.header('Content-Security-Policy', PART_POLICY);
  if (c.req.query('download') === '1') {
    const name = cleanFileName(`${subject}.eml`);
    const filename = name === null || name === '.eml' ? 'message.eml' : name;
    c.header('Content-Disposition', contentDisposition('attachment', filename));
  }
  return c.body(responseBytes(raw));
}

/** Sends a part's decoded content as a download, or inline for a `cid:` image. */
function servePart(c: Context, part: PartContent, inline: boolean): Response {
  const filename = part.downloadName ?? `part-${part.partId}`;
  c.header('Content-Type', partContentType(part));
  c.header('Content-Disposition', contentDisposition(inline ? 'inline' : 'attachment', filename));
  c.header('Content-Security-Policy', PART_POLICY);
  return c.body(responseBytes(part.content));
}

function partContentType(part: PartRecord): string {
  const type = part.contentType.toLowerCase();
  if (!MEDIA_TYPE.test(type)) return 'application/octet-stream';
  if (part.charset !== null && CHARSET.test(part.charset) && type.startsWith('text/')) {
    return `${type}; charset=${part.charset}`;
  }
  return type;
}

async function readJson(c: Context): Promise<unknown> {
  try {
    return (await c.req.json()) as unknown;
  } catch {
    return null;
  }
}
