import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';

import type { Context, MiddlewareHandler } from 'hono';
import { basicAuth } from 'hono/basic-auth';

import type { ListenAddress } from '../config.js';

/** Health checks, which process managers probe without credentials and which carry no data. */
export const HEALTH_PATHS: ReadonlySet<string> = new Set(['/livez', '/readyz']);

const STATE_CHANGING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Returns the Host the request was sent to: the Host header, or for a request built in
 * process without one, the host of its URL.
 */
export function requestHost(c: Context): string {
  return c.req.header('host') ?? new URL(c.req.url).host;
}

/** Splits a Host header value into its lower-cased name and its port (80 when absent). */
export function parseHost(value: string): { name: string; port: number } | null {
  const match = /^(\[[0-9a-f:.]+\]|[^\s:[\]/@]+)(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!match) return null;
  const port = match[2] === undefined ? 80 : Number(match[2]);
  if (port > 65535) return null;
  return { name: (match[1] as string).toLowerCase(), port };
}

/**
 * Returns the host names the server accepts in a Host header when it listens on `bound`:
 * localhost, 127.0.0.1, [::1] and the listening host. On a wildcard address (0.0.0.0 or ::) these
 * also include the machine's host name and the address of every network interface.
 */
export function ownHostNames(bound: ListenAddress): Set<string> {
  const names = new Set(['localhost', '127.0.0.1', '[::1]', formatHostName(bound.host)]);
  if (isWildcard(bound.host)) {
    names.add(hostname().toLowerCase());
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) names.add(formatHostName(address.address));
    }
  }
  return names;
}

function isWildcard(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::';
}

function formatHostName(host: string): string {
  const lower = host.toLowerCase();
  return isIP(lower) === 6 ? `[${lower}]` : lower;
}

/**
 * Rejects, with 403, a request whose Host is not one of the server's own names on its
 * own port. A page on another site that gets its host name resolved to this machine (DNS
 * rebinding) then cannot read the API, because its requests carry that site's name.
 *
 * NOTE: a name the server cannot know, such as a DNS alias or a port mapped by Docker to
 * another number, is rejected too.
 */
export function hostCheck(listenAddress: () => ListenAddress): MiddlewareHandler {
  return async (c, next) => {
    if (HEALTH_PATHS.has(c.req.path)) return next();

    const bound = listenAddress();
    const value = requestHost(c);
    const host = parseHost(value);
    if (host === null || host.port !== bound.port || !ownHostNames(bound).has(host.name)) {
      return c.text(
        `Forbidden: the Host header "${value}" is not a name of this server. Open Mailscope ` +
          `at http://localhost:${bound.port}/ or http://127.0.0.1:${bound.port}/.`,
        403,
      );
    }
    await next();
  };
}

/**
 * Rejects, with 403, a POST, PUT, PATCH or DELETE request whose Origin header names
 * another site, so that no other page the browser shows can delete or change messages.
 * A request without an Origin header (curl, test clients) passes. The origin `null`,
 * which sandboxed frames send, is rejected.
 */
export function originCheck(): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (origin !== undefined && STATE_CHANGING_METHODS.has(c.req.method)) {
      if (!isOwnOrigin(origin, requestHost(c))) {
        return c.text(
          `Forbidden: a ${c.req.method} request from the page at origin "${origin}" may not ` +
            'change data. Only pages served by this Mailscope may.',
          403,
        );
      }
    }
    await next();
  };
}

function isOwnOrigin(origin: string, host: string): boolean {
  try {
    return new URL(origin).origin === new URL(`http://${host}`).origin;
  } catch {
    return false;
  }
}

/** Requires HTTP basic auth with `credentials` on every path except the health checks. */
export function basicAuthCheck(credentials: { user: string; password: string }): MiddlewareHandler {
  const check = basicAuth({
    username: credentials.user,
    password: credentials.password,
    realm: 'Mailscope',
  });
  return async (c, next) => (HEALTH_PATHS.has(c.req.path) ? next() : check(c, next));
}
