import { Hono, type Context } from 'hono';

import type { PartRecord } from '../../store/index.js';
import { responseBytes } from '../responses.js';
import type { MailpitDeps } from './index.js';
import { checkLinks, extractLinks } from './link-check.js';
import { buildMessage, headerMap } from './message-view.js';
import { setRead } from './messages-routes.js';
import { MESSAGE_NOT_FOUND, PAGE_NOT_FOUND, resolveMessageId } from './request.js';

/**
 * The policy of a part served as a file: no scripts, so that an HTML or SVG attachment
 * opened in a tab runs nothing on this origin.
 */
const PART_POLICY = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox";

// Content types and charsets as they may appear in a response header.
const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+$/;
const CHARSET = /^[\w.:+-]+$/;

/**
 * Builds the routes of one message in Mailpit's API v1, under /message/{id}. Every route takes
 * `latest` as the id; only reading the message itself and the link check mark it read.
 *
 * The thumbnail and HTML check modules are imported on their first request, because jimp,
 * htmlparser2 and postcss would otherwise take memory in every server that never uses them.
 */
export function messageRoutes(deps: MailpitDeps): Hono {
  const { store } = deps;
  const routes = new Hono();

  /** Resolves the path's id, or returns the 404 response Mailpit sends. */
  const target = (c: Context): { id: string } | Response => {
    const id = resolveMessageId(c, store, c.req.param('id') as string);
    if (id === null) return c.text(MESSAGE_NOT_FOUND, 404);
    if (store.queries.getMessageSubject(id) === null) return c.text(PAGE_NOT_FOUND, 404);
    return { id };
  };

  routes.get('/message/:id', (c) => {
    const found = target(c);
    if (found instanceof Response) return found;
    const message = buildMessage(store, found.id);
    if (message === null) return c.text(PAGE_NOT_FOUND, 404);
    setRead(deps, [found.id], true);
    return c.json(message);
  });

  routes.get('/message/:id/headers', (c) => {
    const found = target(c);
    if (found instanceof Response) return found;
    const raw = store.queries.getRaw(found.id);
    if (raw === null) return c.text(PAGE_NOT_FOUND, 404);
    return c.json(headerMap(raw));
  });

  routes.get('/message/:id/raw', (c) => {
    const found = target(c);
    if (found instanceof Response) return found;
    const raw = store.queries.getRaw(found.id);
    if (raw === null) return c.text(PAGE_NOT_FOUND, 404);
    c.header('Content-Type', 'text/plain; charset=utf-8');
    c.header('Content-Security-Policy', PART_POLICY);
    if (c.req.query('dl') === '1') {
      c.header('Content-Disposition', `attachment; filename="${found.id}.eml"`);
    }
    return c.body(responseBytes(raw));
  });

  routes.get('/message/:id/part/:partId', (c) => {
    const found = target(c);
    if (found instanceof Response) return found;
    const part = store.queries.getPart(found.id, c.req.param('partId'));
    if (part === null || part.kind === 'multipart') return c.text(PAGE_NOT_FOUND, 404);
    c.header('Content-Type', partContentType(part));
    c.header('Content-Disposition', `inline; filename="${encodeURIComponent(partName(part))}"`);
    c.header('Content-Security-Policy', PART_POLICY);
    return c.body(responseBytes(part.content));
  });

  // Mailpit returns 400 here, not 404, for an unknown message or part.
  routes.get('/message/:id/part/:partId/thumb', async (c) => {
    const id = resolveMessageId(c, store, c.req.param('id'));
    const partId = c.req.param('partId');
    const part = id === null ? null : store.queries.getPart(id, partId);
    if (part === null || part.kind === 'multipart') {
      return c.text(`Part ${partId} of message ${c.req.param('id')} not found`, 400);
    }
    const { makeThumbnail } = await import('./thumbnail.js');
    const jpeg = await makeThumbnail(part.contentType, part.content);
    c.header('Content-Type', 'image/jpeg');
    return c.body(responseBytes(jpeg));
  });

  routes.get('/message/:id/html-check', async (c) => {
    const found = target(c);
    if (found instanceof Response) return found;
    const html = store.queries.getMessage(found.id)?.html ?? '';
    if (html.trim() === '') return c.text('message does not contain HTML', 400);
    const { checkHtml } = await import('./html-check.js');
    return c.json(checkHtml(html));
  });

  routes.get('/message/:id/link-check', async (c) => {
    const found = target(c);
    if (found instanceof Response) return found;
    const message = store.queries.getMessage(found.id);
    if (message === null) return c.text(PAGE_NOT_FOUND, 404);
    const follow = ['true', '1'].includes(c.req.query('follow') ?? '');
    const links = extractLinks(message.html ?? '', message.text ?? '');
    setRead(deps, [found.id], true);
    return c.json(await checkLinks(links, follow));
  });

  // NOTE: GET /message/{id}/sa-check is not registered, so it returns 404 as Mailpit does
  // when no SpamAssassin host is configured; Mailscope has no SpamAssassin client.

  return routes;
}

/** Returns the name Mailpit gives a part: its file name, else its Content-ID, else the part id. */
function partName(part: PartRecord): string {
  if (part.filename !== null && part.filename !== '') return part.filename;
  if (part.contentId !== null) return part.contentId.trim().replace(/^<(.*)>$/, '$1');
  return part.downloadName ?? part.partId;
}

function partContentType(part: PartRecord): string {
  const type = part.contentType.toLowerCase();
  if (!MEDIA_TYPE.test(type)) return 'application/octet-stream';
  if (part.charset !== null && CHARSET.test(part.charset) && type.startsWith('text/')) {
    return `${type}; charset=${part.charset}`;
  }
  return type;
}
