import type { AddressInfo } from 'node:net';

import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import { WebSocketServer } from 'ws';

import type { ListenAddress } from '../config.js';

export interface HttpServer {
  address: ListenAddress;
  close(): Promise<void>;
}

/**
 * Serves the app on the given address and resolves once it listens. WebSocket upgrades go
 * through the app like any request, so its checks apply, and reach the routes built with
 * upgradeWebSocket from @hono/node-server.
 */
export function startHttpServer(app: Hono, listen: ListenAddress): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    let server: ServerType | undefined = undefined;
    const onError = (error: Error): void => reject(error);

    const sockets = new WebSocketServer({ noServer: true });
    const options = {
      fetch: app.fetch,
      hostname: listen.host,
      port: listen.port,
      websocket: { server: sockets },
    };
    server = serve(options, (info) => {
      server?.off('error', onError);
      const bound = info as AddressInfo;
      resolve({
        address: { host: listen.host, port: bound.port },
        close: () => closeServer(server as ServerType, sockets),
      });
    });
    server.once('error', onError);
  });
}

function closeServer(server: ServerType, sockets: WebSocketServer): Promise<void> {
  return new Promise((resolve) => {
    // Upgraded connections are no longer HTTP connections, so closeAllConnections skips them.
    for (const socket of sockets.clients) socket.terminate();
    server.close(() => resolve());
    // Keep-alive connections would hold close() open until their timeout.
    if ('closeAllConnections' in server) server.closeAllConnections();
  });
}
