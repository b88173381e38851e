import type { AddressInfo } from 'node:net';

import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';

import type { ListenAddress } from '../config.js';

export interface HttpServer {
  address: ListenAddress;
  close(): Promise<void>;
}

/** Serves the app on the given address and resolves once it listens. */
export function startHttpServer(app: Hono, listen: ListenAddress): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    let server: ServerType | undefined = undefined;
    const onError = (error: Error): void => reject(error);

    server = serve({ fetch: app.fetch, hostname: listen.host, port: listen.port }, (info) => {
      server?.off('error', onError);
      const bound = info as AddressInfo;
      resolve({
        address: { host: listen.host, port: bound.port },
        close: () => closeServer(server as ServerType),
      });
    });
    server.once('error', onError);
  });
}

function closeServer(server: ServerType): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Keep-alive connections would hold close() open until their timeout.
    if ('closeAllConnections' in server) server.closeAllConnections();
  });
}
