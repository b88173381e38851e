import type { MiddlewareHandler } from 'hono';

import { requestHost } from '../security.js';

/**
 * Mailpit's CORS rule for /api and /view: a request without an Origin header passes, and
 * so does one from a page served by this host. Any other origin is rejected with 403,
 * because Mailscope has no list of allowed origins. Allowed requests get the headers
 * Mailpit sends.
 */
export function mailpitCors(): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (origin === undefined) return next();
    if (!isSameHost(origin, requestHost(c))) return c.text('Blocked due to CORS violation', 403);

    c.header('Access-Control-Allow-Origin', origin);
    c.header('Access-Control-Allow-Methods', 'GET, POST, DELETE, PUT, OPTIONS');
    c.header('Access-Control-Allow-Headers', '*');
    c.header('Vary', 'Origin');
    await next();
  };
}

function isSameHost(origin: string, host: string): boolean {
  try {
    return new URL(origin).host === new URL(`http://${host}`).host;
  } catch {
    return false;
  }
}

/**
 * Redirects, with 301, a path that contains repeated slashes to the path with each run
 * made one slash, as Go's http.ServeMux does for Mailpit. cypress-mailpit requests
 * `//view/{id}.html` and follows the redirect.
 */
export function collapseSlashes(): MiddlewareHandler {
  return async (c, next) => {
    const url = new URL(c.req.url);
    if (!url.pathname.includes('//')) return next();
    return c.redirect(url.pathname.replace(/\/{2,}/g, '/') + url.search, 301);
  };
}
