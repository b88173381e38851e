import { upgradeWebSocket } from '@hono/node-server';
import { Hono } from 'hono';

import type { EventBus } from '../../delivery/events.js';
import type { ImportResult } from '../../import/index.js';
import type { Logger } from '../../log.js';
import type { MessageRelay } from '../../relay/relay.js';
import type { RuleService } from '../../rules/index.js';
import type { Store } from '../../store/index.js';
import { chaosRoutes } from './chaos.js';
import { mailpitCors } from './cors.js';
import { MailpitEventSocket } from './events-socket.js';
import { infoRoutes } from './info-routes.js';
import { messageRoutes } from './message-routes.js';
import { messagesRoutes } from './messages-routes.js';
import { mailpitReleaseRoutes } from './release.js';
import { PAGE_NOT_FOUND } from './request.js';
import { sendRoutes } from './send.js';
import { mailpitSwagger } from './swagger.js';
import { tagRoutes } from './tag-routes.js';
import { viewRoutes } from './view-routes.js';

export { collapseSlashes } from './cors.js';
export { SEND_PATH } from './send.js';
export { buildMessageSummary } from './summary.js';
export type { MailpitMessageSummary } from './types.js';

/** The dependencies of the Mailpit-compatible API, provided by the core. */
export interface MailpitDeps {
  store: Store;
  events: EventBus;
  logger: Logger;
  /** Version reported by /api/v1/info and the `stats` websocket event. */
  version: string;
  /**
   * Stores a message as a local delivery through the core's pipeline, for
   * POST /api/v1/send. Without it, that route returns 400.
   */
  importMessage?: (bytes: Buffer, options: { source: string }) => Promise<ImportResult>;
  /** Largest message accepted by POST /api/v1/send, in bytes; 50 MiB by default. */
  maxMessageSize?: number;
  /** The relay behind POST /api/v1/message/{id}/release; without it that route returns 400. */
  relay?: MessageRelay;
  /** Clock in milliseconds since the epoch. */
  now?: () => number;
  /** The failure rules behind /api/v1/chaos; without them that route returns 400. */
  rules?: RuleService;
}

/**
 * Builds the Mailpit-compatible API, mounted at the root of the server: /api/v1/...,
 * the /api/events websocket, and /view/{id}.html, /view/{id}.txt and /view/latest. The
 * websocket needs the server started by startHttpServer, which accepts upgrades.
 */
export function mailpitRoutes(deps: MailpitDeps): Hono {
  const app = new Hono();
  app.use('/api/*', mailpitCors());
  app.use('/view/*', mailpitCors());
  app.options('/api/v1/*', (c) => c.text('', 200));

  const socket = new MailpitEventSocket(deps);
  app.get(
    '/api/events',
    upgradeWebSocket(() => ({
      onOpen: (_event, client) => socket.add(client),
      onClose: (_event, client) => socket.remove(client),
      onError: (_event, client) => socket.remove(client),
    })),
    (c) => c.text('Bad Request: /api/events takes websocket connections only', 400),
  );

  const v1 = new Hono();
  v1.route('/', messagesRoutes(deps));
  v1.route('/', messageRoutes(deps));
  v1.route('/', sendRoutes(deps));
  v1.route('/', tagRoutes(deps));
  v1.route('/', infoRoutes(deps));
  v1.get('/swagger.json', (c) => c.json(mailpitSwagger(deps.version)));
  // Routers of optional features, one line each, go here:
  // MAILPIT-OPTIONAL-ROUTES-START
  if (deps.rules) v1.route('/', chaosRoutes(deps.rules));
  if (deps.relay) v1.route('/', mailpitReleaseRoutes(deps.relay));
  // MAILPIT-OPTIONAL-ROUTES-END
  // Mailpit's responses while those features are off. The routers above take precedence.
  v1.on(['GET', 'PUT'], '/chaos', (c) => c.text('Chaos is not enabled', 400));
  v1.post('/message/:id/release', (c) => c.text('Message relay is not enabled', 400));
  v1.all('*', (c) => c.text(PAGE_NOT_FOUND, 404));
  app.route('/api/v1', v1);

  app.route('/view', viewRoutes(deps));
  return app;
}
