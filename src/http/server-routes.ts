import { readFileSync, statSync } from 'node:fs';

import { Hono } from 'hono';

import type { ListenAddress } from '../config.js';
import type { Store } from '../store/index.js';
import type { ServerStatus, StoreCounts } from './api-types.js';
import { openApiDocument } from './openapi.js';

/** The listening addresses of the running core. */
export interface CoreAddresses {
  smtp: ListenAddress;
  http: ListenAddress;
}

export interface ServerRouteOptions {
  store: Store;
  addresses: () => CoreAddresses;
  /** Version reported by /status; the version in package.json by default. */
  version?: string;
}

/** Routes that describe the server: /counts, /status and /openapi.json. */
export function serverRoutes(options: ServerRouteOptions): Hono {
  const { store } = options;
  const version = options.version ?? readPackageVersion();
  const routes = new Hono();

  routes.get('/counts', (c) => c.json(store.queries.counts() satisfies StoreCounts));

  routes.get('/status', (c) => {
    const { smtp, http } = options.addresses();
    return c.json({
      version,
      smtp: { host: smtp.host, port: smtp.port },
      http: { host: http.host, port: http.port },
      database: { path: store.path, sizeBytes: databaseSize(store) },
      counts: store.queries.counts(),
    } satisfies ServerStatus);
  });

  routes.get('/openapi.json', (c) => c.json(openApiDocument(version)));

  return routes;
}

/** Reads the version from the package.json two folders up, in src/ and in dist/ alike. */
export function readPackageVersion(): string {
  const url = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

/**
 * Returns the bytes the database takes on disk: the main file plus its write-ahead log,
 * which contains recent commits until a checkpoint copies them over. An in-memory database
 * reports its page count times its page size.
 */
function databaseSize(store: Store): number {
  if (store.path === ':memory:') {
    const pages = store.db.pragma('page_count', { simple: true }) as number;
    const pageSize = store.db.pragma('page_size', { simple: true }) as number;
    return pages * pageSize;
  }
  let size = 0;
  for (const file of [store.path, `${store.path}-wal`]) {
    size += statSync(file, { throwIfNoEntry: false })?.size ?? 0;
  }
  return size;
}
