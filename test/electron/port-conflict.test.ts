import net from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import {
  portConflictHtml,
  portConflictUrl,
  type PortConflict,
} from '../../electron/port-conflict.js';
import { findFreePort, isPortFree, suggestFreePorts } from '../../electron/port-probe.js';

const conflict: PortConflict = {
  service: 'smtp',
  configured: { smtp: { host: '127.0.0.1', port: 1025 }, http: { host: '127.0.0.1', port: 8025 } },
  suggestion: { smtp: { host: '127.0.0.1', port: 1026 }, http: { host: '127.0.0.1', port: 8025 } },
  detail: 'listen EADDRINUSE: address already in use 127.0.0.1:1025',
};

describe('portConflictHtml()', () => {
  const html = portConflictHtml(conflict, 'n0nce');

  it('names the taken port and its server', () => {
    expect(html).toContain('<h1>Port 1025 is in use</h1>');
    expect(html).toContain('its SMTP server on <code>127.0.0.1:1025</code>');
  });

  it('offers the free ports with a restart button', () => {
    expect(html).toContain('SMTP <code>127.0.0.1:1026</code>');
    expect(html).toContain('HTTP\n<code>127.0.0.1:8025</code>');
    expect(html).toContain(
      '<button id="restart" type="button">Restart on ports 1026 and 8025</button>',
    );
  });

  it('calls the preload API from the button', () => {
    expect(html).toContain('window.mailscope.restartOnFreePorts()');
  });

  it('allows only the script with its nonce', () => {
    expect(html).toContain(
      `content="default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-n0nce'"`,
    );
    expect(html).toContain('<script nonce="n0nce">');
  });

  it('says how to change the ports for good', () => {
    expect(html).toContain('<code>MAILSCOPE_SMTP</code> and <code>MAILSCOPE_HTTP</code>');
  });

  it('escapes the error text', () => {
    const page = portConflictHtml({ ...conflict, detail: '<img src=x onerror=alert(1)>' }, 'n');

    expect(page).toContain('&#60;img src=x onerror=alert(1)&#62;');
    expect(page).not.toContain('<img');
  });

  it('offers no button when no free port was found', () => {
    const page = portConflictHtml({ ...conflict, suggestion: null }, 'n');

    expect(page).toContain('No free port was found');
    expect(page).not.toContain('<button');
    expect(page).not.toContain('<script');
  });

  it('writes an IPv6 host in brackets', () => {
    const page = portConflictHtml(
      {
        ...conflict,
        service: 'http',
        configured: { ...conflict.configured, http: { host: '::1', port: 8025 } },
      },
      'n',
    );

    expect(page).toContain('its HTTP server on <code>[::1]:8025</code>');
  });
});

describe('portConflictUrl()', () => {
  it('returns a data URL with a fresh nonce each time', () => {
    const first = decodeURIComponent(portConflictUrl(conflict));
    const second = decodeURIComponent(portConflictUrl(conflict));
    const nonce = (page: string) => /script-src 'nonce-([^']+)'/.exec(page)?.[1];

    expect(first.startsWith('data:text/html;charset=utf-8,<!doctype html>')).toBe(true);
    expect(nonce(first)).toMatch(/^[A-Za-z0-9+/=]{24}$/);
    expect(nonce(first)).not.toBe(nonce(second));
  });
});

describe('port probe', () => {
  const servers: net.Server[] = [];

  /** Listens on a free loopback port, as another program would, and returns the port. */
  async function occupy(port = 0): Promise<number> {
    const server = net.createServer();
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return (server.address() as net.AddressInfo).port;
  }

  /** Returns a port whose next neighbour is free too, for tests that take both. */
  async function freePair(): Promise<number> {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const port = await occupy();
      await new Promise<void>((resolve) => servers.pop()?.close(() => resolve()));
      if (port < 65000 && (await isPortFree('127.0.0.1', port + 1))) return port;
    }
    throw new Error('no free pair of ports found');
  }

  afterEach(async () => {
    await Promise.all(
      servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
    );
  });

  it('tells a taken port from a free one', async () => {
    const taken = await occupy();

    expect(await isPortFree('127.0.0.1', taken)).toBe(false);
    await new Promise<void>((resolve) => servers.pop()?.close(() => resolve()));
    expect(await isPortFree('127.0.0.1', taken)).toBe(true);
  });

  it('returns the next free port above a taken one', async () => {
    const start = await freePair();
    await occupy(start);

    expect(await findFreePort('127.0.0.1', start)).toBe(start + 1);
  });

  it('returns the start port when it is free', async () => {
    const start = await freePair();

    expect(await findFreePort('127.0.0.1', start)).toBe(start);
  });

  it('skips excluded ports', async () => {
    const start = await freePair();

    expect(await findFreePort('127.0.0.1', start, [start])).toBe(start + 1);
  });

  it('gives up past the last port number', async (context) => {
    const last = await occupy(65535).catch(() => null);
    if (last === null) context.skip('port 65535 is taken on this machine');

    expect(await findFreePort('127.0.0.1', 65535)).toBeNull();
  });

  it('suggests distinct ports for SMTP and HTTP', async () => {
    const start = await freePair();
    await occupy(start);
    const address = { host: '127.0.0.1', port: start };

    const suggestion = await suggestFreePorts(address, address);

    expect(suggestion?.smtp.port).toBe(start + 1);
    expect(suggestion?.http.port).toBeGreaterThan(start + 1);
    expect(suggestion?.http.host).toBe('127.0.0.1');
  });
});
