import { Hono } from 'hono';

export interface HttpAppOptions {
  /** Tells whether the core can serve requests: the store is open and SMTP listens. */
  isReady: () => boolean;
}

/**
 * Builds the HTTP application. It serves the health checks now; the API and the
 * inspector UI mount on the same app.
 */
export function createHttpApp(options: HttpAppOptions): Hono {
  const app = new Hono();

  app.get('/livez', (c) => c.text('ok'));
  app.get('/readyz', (c) => (options.isReady() ? c.text('ok') : c.text('not ready', 503)));

  return app;
}
