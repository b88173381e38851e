import { randomBytes } from 'node:crypto';

import { Hono, type Context } from 'hono';

import type { PartRecord } from '../../store/index.js';
import { messageHtmlPolicy } from '../message-html.js';
import { requestHost } from '../security.js';
import type { MailpitDeps } from './index.js';
import { partIdForContentId } from './message-view.js';
import { setRead } from './messages-routes.js';
import { MESSAGE_NOT_FOUND, resolveMessageId } from './request.js';

// A cid: URL ends at a quote, whitespace, a closing parenthesis (CSS url()) or a `>`.
const CID_URL = /\bcid:([^"'\s)>]+)/gi;

/**
 * Mailpit's /view routes: {id}.html (the HTML body, `?embed=1` for a frame), {id}.txt
 * (the text body), {id}, which redirects to the message in the inspector, and `latest`,
 * which redirects to the newest message. Both bodies mark the message read. `latest`
 * works as the id of each, with `?query=` as on the API.
 */
export function viewRoutes(deps: MailpitDeps): Hono {
  const routes = new Hono();

  routes.get('/:name', (c, next) => {
    const name = c.req.param('name');
    if (name === 'latest') {
      const id = resolveMessageId(c, deps.store, 'latest');
      return id === null ? c.text(MESSAGE_NOT_FOUND, 404) : c.redirect(`/view/${id}`, 302);
    }
    // Mailpit's UI page of one message opens the message in Mailscope's inspector.
    if (/^[A-Za-z0-9]+$/.test(name)) {
      if (deps.store.queries.getMessageSubject(name) === null)
        return c.text(MESSAGE_NOT_FOUND, 404);
      return c.redirect(`/#/deliveries/${name}`, 302);
    }
    const match = /^([A-Za-z0-9]+)\.(html|txt)$/.exec(name);
    if (match === null) return next();
    const id = resolveMessageId(c, deps.store, match[1] as string);
    const message = id === null ? null : deps.store.queries.getMessage(id);
    if (id === null || message === null) return c.text(MESSAGE_NOT_FOUND, 404);

    if (match[2] === 'txt') {
      setRead(deps, [id], true);
      c.header('Content-Type', 'text/plain; charset=utf-8');
      return c.body(message.text ?? '');
    }
    if (message.html === null || message.html === '') {
      return c.text('This message does not contain a HTML part', 404);
    }
    setRead(deps, [id], true);
    const html = rewriteCidUrls(message.html, id, deps.store.queries.listParts(id));
    return serveHtml(c, html, c.req.query('embed') === '1');
  });

  return routes;
}

/** Points each `cid:` URL that names a part of the message at that part's API route. */
function rewriteCidUrls(html: string, id: string, parts: readonly PartRecord[]): string {
  return html.replace(CID_URL, (url: string, reference: string) => {
    let partId = partIdForContentId(parts, reference);
    if (partId === undefined) {
      try {
        partId = partIdForContentId(parts, decodeURIComponent(reference));
      } catch {
        // Invalid percent-encoding: the URL stays as written.
      }
    }
    return partId === undefined
      ? url
      : `/api/v1/message/${encodeURIComponent(id)}/part/${encodeURIComponent(partId)}`;
  });
}

/**
 * Sends the HTML body under the policy of Mailscope's own preview: the message's scripts
 * never run and remote content stays blocked. With `embed`, links open in a new window
 * and one script, allowed by its nonce, reports the page height to the parent frame, as
 * Mailpit's embed mode does.
 */
function serveHtml(c: Context, html: string, embed: boolean): Response {
  const origin = `http://${requestHost(c)}`;
  let policy = messageHtmlPolicy({ origin, remote: false });
  let body = html;
  if (embed) {
    const nonce = randomBytes(16).toString('base64');
    policy = policy
      .replace("script-src 'none'", `script-src 'nonce-${nonce}'`)
      .replace('sandbox ', 'sandbox allow-scripts ');
    body = addLinkTargets(html) + heightScript(nonce);
  }
  c.header('Content-Security-Policy', policy);
  c.header('Referrer-Policy', 'no-referrer');
  return c.html(body);
}

function addLinkTargets(html: string): string {
  return html.replace(/<a\b([^>]*)>/gi, (_tag, attributes: string) => {
    const cleaned = attributes.replace(/\s(target|rel)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi, '');
    return `<a${cleaned} target="_blank" rel="noreferrer noopener">`;
  });
}

function heightScript(nonce: string): string {
  return (
    `<script nonce="${nonce}">` +
    "window.addEventListener('load', function () {" +
    "parent.postMessage({ messageHeight: document.body.scrollHeight }, '*');" +
    '});</script>'
  );
}
