import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { parseCli } from '../../src/config.js';
import { startCore, type Core } from '../../src/core.js';
import { MAX_REQUEST_BODY_BYTES } from '../../src/http/app.js';
import { parseHost } from '../../src/http/security.js';
import { createLogger } from '../../src/log.js';
import { crlf } from '../store/helpers.js';
import { ORIGIN, openApiHarness, type ApiHarness } from './helpers.js';

const MESSAGE = crlf(['Subject: guarded', '', 'body']);

describe('Host check', () => {
  let api: ApiHarness;

  beforeEach(async () => {
    api = await openApiHarness();
  });

  afterEach(async () => {
    await api.close();
  });

  it.each(['localhost:8025', '127.0.0.1:8025', '[::1]:8025', 'LOCALHOST:8025'])(
    'accepts Host %s',
    async (host) => {
      const response = await api.api('/counts', { headers: { Host: host } });

      expect(response.status).toBe(200);
    },
  );

  it.each([
    ['another name', 'evil.example.test:8025'],
    ['a name without port', 'evil.example.test'],
    ['an own name on another port', 'localhost:9999'],
    ['an own name without port', 'localhost'],
    ['a malformed value', 'localhost:8025/x'],
  ])('rejects %s with 403', async (_case, host) => {
    const response = await api.api('/counts', { headers: { Host: host } });

    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toContain(
      `the Host header "${host}" is not a name of this server`,
    );
  });

  it('guards the UI as well as the API', async () => {
    const response = await api.request('/', { headers: { Host: 'evil.example.test:8025' } });

    expect(response.status).toBe(403);
  });

  it.each(['/livez', '/readyz'])('leaves %s open', async (route) => {
    const response = await api.request(route, { headers: { Host: 'evil.example.test' } });

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
  });
});

describe('Origin check', () => {
  let api: ApiHarness;

  beforeEach(async () => {
    api = await openApiHarness();
  });

  afterEach(async () => {
    await api.close();
  });

  it('rejects a DELETE from another origin and keeps the message', async () => {
    const id = await api.deliver(MESSAGE);

    const response = await api.api(`/messages/${id}`, {
      method: 'DELETE',
      headers: { Origin: 'http://evil.example.test' },
    });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain(
      'origin "http://evil.example.test" may not change data',
    );
    expect((await api.api(`/messages/${id}`)).status).toBe(200);
  });

  it.each([
    ['the origin null of a sandboxed frame', 'null'],
    ['the same host on another port', 'http://127.0.0.1:9999'],
    ['the same host over https', 'https://127.0.0.1:8025'],
  ])('rejects a PUT from %s', async (_case, origin) => {
    const id = await api.deliver(MESSAGE);

    const response = await api.api(`/messages/${id}/read`, {
      method: 'PUT',
      headers: { Origin: origin, 'Content-Type': 'application/json' },
      body: '{"read":true}',
    });
    expect(response.status).toBe(403);
    expect(api.store.queries.getMessage(id)?.read).toBe(false);
  });

  it('allows a DELETE from its own origin', async () => {
    const id = await api.deliver(MESSAGE);

    const response = await api.api(`/messages/${id}`, {
      method: 'DELETE',
      headers: { Origin: ORIGIN },
    });
    expect(response.status).toBe(204);
  });

  it('allows a DELETE without Origin', async () => {
    const id = await api.deliver(MESSAGE);

    expect((await api.api(`/messages/${id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('leaves reads from another origin to CORS', async () => {
    const response = await api.api('/counts', { headers: { Origin: 'http://evil.example.test' } });

    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

/** Routes that take a whole message as their body and apply the message size limit. */
const OWN_BODY_LIMIT = new Set(['/api/mailscope/import', '/api/v1/send']);

/** Lists every POST, PUT, PATCH and DELETE route of the app, with its parameters filled in. */
function stateChangingRoutes(api: ApiHarness, id: string): Array<{ method: string; path: string }> {
  const routes = api.app.routes
    .filter((route) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(route.method))
    .map((route) => ({
      method: route.method,
      path: route.path.replace(/:id\b/g, id).replace(/:\w+/g, 'x'),
    }));
  return [...new Map(routes.map((route) => [`${route.method} ${route.path}`, route])).values()];
}

describe('every state-changing route', () => {
  let api: ApiHarness;
  let id: string;

  beforeEach(async () => {
    api = await openApiHarness();
    id = await api.deliver(MESSAGE);
  });

  afterEach(async () => {
    await api.close();
  });

  it('is found in the app', () => {
    const names = stateChangingRoutes(api, id).map((route) => `${route.method} ${route.path}`);

    expect(names).toContain(`DELETE /api/mailscope/messages/${id}`);
    expect(names).toContain(`PUT /api/mailscope/messages/${id}/read`);
    expect(names).toContain('DELETE /api/mailscope/messages');
  });

  it('rejects a foreign Origin with 403 and changes nothing', async () => {
    for (const route of stateChangingRoutes(api, id)) {
      for (const origin of ['http://evil.example.test', 'null', 'http://127.0.0.1:9999']) {
        const response = await api.request(route.path, {
          method: route.method,
          headers: { Origin: origin, 'Content-Type': 'application/json' },
          body: route.method === 'DELETE' ? undefined : '{}',
        });
        expect(response.status, `${route.method} ${route.path} from ${origin}`).toBe(403);
      }
    }

    expect(api.store.queries.getMessage(id)?.read).toBe(false);
    expect(api.store.queries.counts().messages).toBe(1);
  });

  it('rejects a foreign Host with 403 and changes nothing', async () => {
    for (const route of stateChangingRoutes(api, id)) {
      for (const host of [
        'evil.example.test:8025',
        'evil.example.test',
        '127.0.0.1.evil.test:8025',
      ]) {
        const response = await api.request(route.path, {
          method: route.method,
          headers: { Host: host, 'Content-Type': 'application/json' },
          body: route.method === 'DELETE' ? undefined : '{}',
        });
        expect(response.status, `${route.method} ${route.path} for Host ${host}`).toBe(403);
      }
    }

    expect(api.store.queries.getMessage(id)?.read).toBe(false);
    expect(api.store.queries.counts().messages).toBe(1);
  });

  it('rejects a body over the limit with 413 and changes nothing', async () => {
    const body = `{"read":true,"pad":"${'x'.repeat(MAX_REQUEST_BODY_BYTES)}"}`;
    for (const route of stateChangingRoutes(api, id)) {
      if (OWN_BODY_LIMIT.has(route.path)) continue;
      const response = await api.request(route.path, {
        method: route.method,
        headers: { 'Content-Type': 'application/json' },
        body,
      });
      expect(response.status, `${route.method} ${route.path}`).toBe(413);
      expect(await response.text()).toContain(`the limit is ${MAX_REQUEST_BODY_BYTES} bytes`);
    }

    expect(api.store.queries.getMessage(id)?.read).toBe(false);
    expect(api.store.queries.counts().messages).toBe(1);
  });

  it('accepts a body just under the limit', async () => {
    const padding = 'x'.repeat(MAX_REQUEST_BODY_BYTES - 100);
    const response = await api.api(`/messages/${id}/read`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: `{"read":true,"pad":"${padding}"}`,
    });

    expect(response.status).toBe(200);
    expect(api.store.queries.getMessage(id)?.read).toBe(true);
  });
});

describe('basic auth', () => {
  let api: ApiHarness;
  const authorization = (user: string, password: string): string =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  beforeEach(async () => {
    api = await openApiHarness({ auth: { user: 'qa', password: 's3cret:x' } });
  });

  afterEach(async () => {
    await api.close();
  });

  it('answers 401 without credentials', async () => {
    const response = await api.api('/counts');

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="Mailscope"');
  });

  it('answers 401 for a wrong password', async () => {
    const response = await api.api('/counts', {
      headers: { Authorization: authorization('qa', 'guess') },
    });

    expect(response.status).toBe(401);
  });

  it('answers 200 with the credentials', async () => {
    const response = await api.api('/counts', {
      headers: { Authorization: authorization('qa', 's3cret:x') },
    });

    expect(response.status).toBe(200);
  });

  it('guards the UI and the event stream', async () => {
    expect((await api.request('/')).status).toBe(401);
    expect((await api.api('/events')).status).toBe(401);
  });

  it.each(['/livez', '/readyz'])('leaves %s open', async (route) => {
    expect((await api.request(route)).status).toBe(200);
  });
});

describe('parseHost()', () => {
  it.each([
    ['localhost:8025', { name: 'localhost', port: 8025 }],
    ['[::1]:80', { name: '[::1]', port: 80 }],
    ['Example.TEST', { name: 'example.test', port: 80 }],
  ])('reads %s', (value, expected) => {
    expect(parseHost(value)).toEqual(expected);
  });

  it.each(['', 'a b:1', 'host:99999', 'user@host:1', '::1:8025'])('rejects "%s"', (value) => {
    expect(parseHost(value)).toBeNull();
  });
});

describe('security over a real server', () => {
  let dataDir: string;
  let core: Core;
  let port: number;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-security-'));
    const request = parseCli(
      [
        ...['--smtp', '127.0.0.1:0', '--http', '127.0.0.1:0', '--data-dir', dataDir],
        ...['--no-starttls', '--http-auth', 'qa:pw'],
      ],
      {},
    );
    if (request.kind !== 'run') throw new Error('unexpected CLI request');
    core = await startCore(request.config, createLogger({ level: 'silent' }));
    port = core.httpAddress.port;
  });

  afterAll(async () => {
    await core?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const credentials = `Basic ${Buffer.from('qa:pw').toString('base64')}`;

  /** Sends a GET with a Host header of our choice, which fetch does not allow. */
  function getWithHost(route: string, host: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const request = http.get(
        {
          host: '127.0.0.1',
          port,
          path: route,
          headers: { Host: host, Authorization: credentials },
        },
        (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        },
      );
      request.on('error', reject);
    });
  }

  it('rejects a foreign Host header with 403', async () => {
    const response = await getWithHost('/api/mailscope/counts', 'evil.example.test');

    expect(response.status).toBe(403);
    expect(response.body).toContain('"evil.example.test" is not a name of this server');
  });

  it('accepts localhost on its own port', async () => {
    const response = await getWithHost('/api/mailscope/counts', `localhost:${port}`);

    expect(response.status).toBe(200);
  });

  it('rejects a DELETE from another origin and allows its own', async () => {
    const url = `http://127.0.0.1:${port}/api/mailscope/messages`;
    const foreign = await fetch(url, {
      method: 'DELETE',
      headers: { Origin: 'http://evil.example.test', Authorization: credentials },
    });
    expect(foreign.status).toBe(403);

    const own = await fetch(url, {
      method: 'DELETE',
      headers: { Origin: `http://127.0.0.1:${port}`, Authorization: credentials },
    });
    expect(own.status).toBe(200);
    expect(await own.json()).toEqual({ deleted: 0 });
  });

  /**
   * Sends a PUT with `bytes` of body, chunked or with Content-Length, and returns the
   * status. The server may close the connection before the whole body is written.
   */
  function putLarge(route: string, bytes: number, chunked: boolean): Promise<number> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = {
        Authorization: credentials,
        'Content-Type': 'application/json',
      };
      if (!chunked) headers['Content-Length'] = bytes;
      const request = http.request(
        { host: '127.0.0.1', port, path: route, method: 'PUT', headers },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      // A write after the server responded and closed fails with EPIPE or ECONNRESET.
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
      });
      const chunk = Buffer.alloc(64 * 1024, 0x78);
      let written = 0;
      const writeMore = (): void => {
        while (written < bytes) {
          const piece = chunk.subarray(0, Math.min(chunk.length, bytes - written));
          written += piece.length;
          if (!request.write(piece)) {
            request.once('drain', writeMore);
            return;
          }
        }
        request.end();
      };
      writeMore();
    });
  }

  it('rejects a large body with Content-Length with 413', async () => {
    const status = await putLarge('/api/mailscope/messages/x/read', 8 * 1024 * 1024, false);

    expect(status).toBe(413);
  });

  it('rejects a large chunked body with 413', async () => {
    const status = await putLarge('/api/mailscope/messages/x/read', 8 * 1024 * 1024, true);

    expect(status).toBe(413);
  });

  it('requires the credentials except on /livez', async () => {
    const base = `http://127.0.0.1:${port}`;

    expect((await fetch(`${base}/api/mailscope/counts`)).status).toBe(401);
    const authorized = await fetch(`${base}/api/mailscope/counts`, {
      headers: { Authorization: credentials },
    });
    expect(authorized.status).toBe(200);
    expect((await fetch(`${base}/livez`)).status).toBe(200);
  });
});
