import { readFileSync, statSync } from 'node:fs';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { API_PREFIX, type ServerStatus, type StoreCounts } from '../../src/http/api-types.js';
import { readPackageVersion } from '../../src/http/server-routes.js';
import { crlf } from '../store/helpers.js';
import { HTTP_ADDRESS, openApiHarness, type ApiHarness } from './helpers.js';

let api: ApiHarness;

beforeEach(async () => {
  api = await openApiHarness();
});

afterEach(async () => {
  await api.close();
});

const MESSAGE = crlf(['Subject: counted', '', 'body']);

type OpenApiDocument = {
  openapi: string;
  paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>>;
  components: { schemas: Record<string, unknown> };
};

describe('server routes', () => {
  it('GET /counts counts messages and deliveries', async () => {
    const first = await api.deliver(MESSAGE);
    await api.deliver(MESSAGE);
    api.store.queries.setRead(first, true);

    const response = await api.api('/counts');
    expect(response.status).toBe(200);
    expect((await response.json()) as StoreCounts).toEqual({
      messages: 2,
      unread: 1,
      deliveries: 2,
      inProgress: 0,
    });
  });

  it('GET /status reports addresses, database and counts', async () => {
    await api.deliver(MESSAGE);

    const status = (await (await api.api('/status')).json()) as ServerStatus;
    expect(status.version).toBe('9.9.9-test');
    expect(status.smtp).toEqual({ host: '127.0.0.1', port: 1025 });
    expect(status.http).toEqual(HTTP_ADDRESS);
    expect(status.database.path).toBe(api.store.path);
    const onDisk = statSync(api.store.path).size + statSync(`${api.store.path}-wal`).size;
    expect(status.database.sizeBytes).toBe(onDisk);
    expect(status.counts.messages).toBe(1);
  });

  it('reads the version from package.json', () => {
    const packageJson = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version: string };

    expect(readPackageVersion()).toBe(packageJson.version);
  });

  describe('GET /openapi.json', () => {
    async function loadDocument(): Promise<OpenApiDocument> {
      const response = await api.api('/openapi.json');
      expect(response.status).toBe(200);
      return (await response.json()) as OpenApiDocument;
    }

    /** Lists every API route of the app as [method, OpenAPI path]. */
    function appRoutes(): Array<[string, string]> {
      const routes = api.app.routes
        .filter((route) => route.method !== 'ALL' && route.path.startsWith(`${API_PREFIX}/`))
        .map((route): [string, string] => [
          route.method.toLowerCase(),
          route.path.slice(API_PREFIX.length).replace(/:(\w+)/g, '{$1}'),
        ]);
      return [...new Map(routes.map((route) => [route.join(' '), route])).values()];
    }

    it('is an OpenAPI 3.1 document', async () => {
      const document = await loadDocument();

      expect(document.openapi).toBe('3.1.0');
      expect(Object.keys(document.components.schemas)).toContain('DeliveryPage');
    });

    it('describes every route of the app with its path parameters', async () => {
      const document = await loadDocument();
      const routes = appRoutes();
      // The exact count changes with every new route; this only shows the filter works.
      expect(routes.length).toBeGreaterThan(30);

      for (const [method, path] of routes) {
        const operation = document.paths[path]?.[method];
        expect(operation, `${method.toUpperCase()} ${path}`).toBeDefined();
        const declared = (operation?.parameters ?? [])
          .filter((parameter) => parameter.in === 'path')
          .map((parameter) => parameter.name);
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
        expect(declared, `path parameters of ${path}`).toEqual(inPath);
      }
    });

    it('describes no route the app lacks', async () => {
      const document = await loadDocument();
      const routes = new Set(appRoutes().map(([method, path]) => `${method} ${path}`));

      for (const [path, operations] of Object.entries(document.paths)) {
        for (const method of Object.keys(operations)) {
          expect(routes.has(`${method} ${path}`), `${method.toUpperCase()} ${path}`).toBe(true);
        }
      }
    });

    it('resolves every schema reference', async () => {
      const document = await loadDocument();
      const references = [
        ...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g),
      ];

      expect(references.length).toBeGreaterThan(0);
      for (const [, name] of references) {
        expect(document.components.schemas, `schema ${name}`).toHaveProperty(name as string);
      }
    });
  });
});
