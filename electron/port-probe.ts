import net from 'node:net';

import type { DesktopAddress } from '../src/desktop/messages.js';

/** Ports tried above the configured one before the probe gives up. */
export const MAX_PROBED_PORTS = 100;

/**
 * Checks whether `port` on `host` can be listened on now, by listening and closing at
 * once. Any listen error returns false: EADDRINUSE, and also others such as EACCES for a
 * privileged port, because the core could not listen there either.
 */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/**
 * Returns the first free port from `start` upwards, skipping the ports in `exclude`, or
 * null when none is free. It tries at most MAX_PROBED_PORTS ports and none above 65535.
 *
 * NOTE: another program may take the port between this probe and the core's listen. The
 * core then reports the port as in use again.
 */
export async function findFreePort(
  host: string,
  start: number,
  exclude: readonly number[] = [],
): Promise<number | null> {
  const end = Math.min(start + MAX_PROBED_PORTS, 65536);
  for (let port = Math.max(start, 1); port < end; port += 1) {
    if (exclude.includes(port)) continue;
    if (await isPortFree(host, port)) return port;
  }
  return null;
}

/**
 * Returns free ports for both servers, or null when either has none. Each is the
 * configured port when that is free, else the next free one above it, and the two differ.
 */
export async function suggestFreePorts(
  smtp: DesktopAddress,
  http: DesktopAddress,
): Promise<{ smtp: DesktopAddress; http: DesktopAddress } | null> {
  const smtpPort = await findFreePort(smtp.host, smtp.port);
  if (smtpPort === null) return null;
  const httpPort = await findFreePort(http.host, http.port, [smtpPort]);
  if (httpPort === null) return null;
  return { smtp: { ...smtp, port: smtpPort }, http: { ...http, port: httpPort } };
}
