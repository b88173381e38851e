import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';

import type { EventBus } from '../delivery/events.js';
import type { Logger } from '../log.js';
import { MessageRelay } from '../relay/relay.js';
import type { RuleService } from '../rules/index.js';
import type { Store } from '../store/index.js';
import { API_PREFIX } from './api-types.js';
import { deliveryRoutes } from './delivery-routes.js';
import { handleEventStream } from './event-stream.js';
import { IMPORT_ROUTE, importRoutes, type ImportRouteOptions } from './import-routes.js';
import type { LiveEventHub } from './live-events.js';
import { mailhogRoutes } from './mailhog/index.js';
import { collapseSlashes, mailpitRoutes, SEND_PATH } from './mailpit/index.js';
import { messageRoutes } from './message-routes.js';
import { releaseRoutes } from './release-routes.js';
import { ruleRoutes } from './rule-routes.js';
import { apiError } from './responses.js';
import { basicAuthCheck, hostCheck, originCheck } from './security.js';
import { readPackageVersion, serverRoutes, type CoreAddresses } from './server-routes.js';
import { DEFAULT_UI_DIR, mountStaticUi } from './static-ui.js';
import { tagRoutes } from './tag-routes.js';
import { waitRoute } from './wait-route.js';

export interface HttpAppOptions {
  /** Tells whether the core can serve requests: the store is open and SMTP listens. */
  isReady: () => boolean;
  store: Store;
  /** The core's bus; the API emits user events on it. */
  events: EventBus;
  /** Source of the live event stream, subscribed to `events` after the store. */
  liveEvents: LiveEventHub;
  /**
   * Listening addresses of SMTP and HTTP, read per request because the HTTP port is known
   * only once the server listens.
   */
  addresses: () => CoreAddresses;
  logger: Logger;
  /** Credentials that every route except the health checks requires; null for none. */
  auth: { user: string; password: string } | null;
  /** Folder of the built UI; DEFAULT_UI_DIR by default. */
  uiDir?: string;
  /** Version reported by /status; the version in package.json by default. */
  version?: string;
  /** Time between heartbeats on the live event stream, in milliseconds. */
  heartbeatMs?: number;
  /** The relay behind the release routes; without it, a relay with release off. */
  relay?: MessageRelay;
  /** The message import behind POST /import. Without it, that route is missing (404). */
  import?: ImportRouteOptions;
  /** The failure rules and the pause switch. Without them, their routes return 404. */
  rules?: RuleService;
}

/** Largest request body accepted. The API takes small JSON bodies only. */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

/**
 * Builds the HTTP application: the health checks, Mailscope's API under API_PREFIX with
 * its live event stream, and the inspector UI. Every request first passes the Host check,
 * the Origin check and, when configured, basic auth.
 */
/** Methods that change nothing, so their responses need not wait for a commit. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function createHttpApp(options: HttpAppOptions): Hono {
  const app = new Hono();
  const logger = options.logger;

  app.use(
    '*',
    hostCheck(() => options.addresses().http),
  );
  app.use('*', originCheck());
  app.use('*', collapseSlashes());
  const requestBodyLimit = bodyLimit({
    maxSize: MAX_REQUEST_BODY_BYTES,
    onError: (c) =>
      c.text(`Request body too large: the limit is ${MAX_REQUEST_BODY_BYTES} bytes.`, 413),
  });
  // An imported or sent message may be as large as the message size limit, which its route
  // checks.
  const ownBodyLimit = new Set([`${API_PREFIX}${IMPORT_ROUTE}`, SEND_PATH]);
  app.use('*', (c, next) => (ownBodyLimit.has(c.req.path) ? next() : requestBodyLimit(c, next)));
  if (options.auth !== null) app.use('*', basicAuthCheck(options.auth));
  app.use('*', async (c, next) => {
    c.header('X-Content-Type-Options', 'nosniff');
    if (c.req.path.startsWith(`${API_PREFIX}/`)) c.header('Cache-Control', 'no-store');
    await next();
  });
  // A change made through any API joins the store's shared transaction, which may commit
  // up to 20 ms later. The response waits for that commit, so that a client that got a
  // response finds the change after a crash too.
  app.use('*', async (c, next) => {
    await next();
    if (READ_METHODS.has(c.req.method)) return;
    try {
      await options.store.durable();
    } catch (error) {
      logger.error(
        { err: error, method: c.req.method, path: c.req.path },
        'storing a change failed',
      );
      c.res = new Response('Storing the change failed; try again.', { status: 503 });
    }
  });

  app.get('/livez', (c) => c.text('ok'));
  app.get('/readyz', (c) => (options.isReady() ? c.text('ok') : c.text('not ready', 503)));

  const api = new Hono();
  api.route('/', deliveryRoutes(options.store, options.events));
  api.route('/', messageRoutes({ store: options.store, events: options.events }));
  api.route('/', serverRoutes(options));
  api.route('/', tagRoutes({ store: options.store, events: options.events }));
  api.route('/', waitRoute(options.store, options.events));
  const relay = options.relay ?? new MessageRelay({ store: options.store, logger });
  api.route('/', releaseRoutes(relay, options.store));
  if (options.import) api.route('/', importRoutes({ ...options.import, rules: options.rules }));
  if (options.rules) api.route('/', ruleRoutes(options.rules));
  api.get(
    '/events',
    handleEventStream({
      hub: options.liveEvents,
      logger,
      heartbeatMs: options.heartbeatMs,
    }),
  );
  api.all('*', (c) => apiError(c, 404, `No API route matches ${c.req.method} ${c.req.path}.`));
  app.route(API_PREFIX, api);

  // Mailpit's and MailHog's APIs, so that their clients work unchanged.
  const compatible = { store: options.store, events: options.events, logger };
  app.route('/', mailhogRoutes({ ...compatible, relay }));
  app.route(
    '/',
    mailpitRoutes({
      ...compatible,
      version: options.version ?? readPackageVersion(),
      importMessage: options.import?.importMessage,
      maxMessageSize: options.import?.maxMessageSize,
      relay: options.relay,
      rules: options.rules,
    }),
  );

  mountStaticUi(app, options.uiDir ?? DEFAULT_UI_DIR, API_PREFIX);

  app.notFound((c) => c.text('Not found', 404));
  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    logger.error({ err: error, method: c.req.method, path: c.req.path }, 'request failed');
    return c.req.path.startsWith(`${API_PREFIX}/`)
      ? apiError(c, 500, 'Internal server error; the server log has the details.')
      : c.text('Internal server error', 500);
  });
  return app;
}
