import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { serveStatic } from '@hono/node-server/serve-static';
import type { Hono, MiddlewareHandler } from 'hono';

/** Output folder of the UI build (Vite), found from src/http and dist/http alike. */
export const DEFAULT_UI_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'dist',
  'renderer',
);

/** The policy of the inspector's own pages. */
export const APP_POLICY = [
  "default-src 'self'",
  "frame-src 'self'",
  "img-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'self'",
].join('; ');

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Mailscope</title></head>
<body>
<h1>Mailscope</h1>
<p>The inspector UI is not built. Run <code>npm run build</code> in the Mailscope folder,
then reload this page. The API is under /api/mailscope and described by
<a href="/api/mailscope/openapi.json">openapi.json</a>.</p>
</body>
</html>
`;

/**
 * Paths the UI never serves, so that an API client gets a 404 rather than the UI's HTML:
 * Mailscope's API, and the `/api/` and `/view/` paths of Mailpit's API.
 */
function isReservedPath(requestPath: string, apiPrefix: string): boolean {
  return (
    requestPath === apiPrefix ||
    requestPath.startsWith(`${apiPrefix}/`) ||
    requestPath.startsWith('/api/') ||
    requestPath.startsWith('/view/')
  );
}

/**
 * Serves the built UI from `uiDir` on every GET path that no route took: the file when it
 * exists, else index.html for a path without a file extension, so that the UI's own
 * routes load the app. When `uiDir` has no index.html, every such path gets a short page
 * that explains how to build the UI. Paths under `apiPrefix` are left to the API.
 */
export function mountStaticUi(app: Hono, uiDir: string, apiPrefix: string): void {
  const indexFile = path.join(uiDir, 'index.html');
  let serveFiles: MiddlewareHandler | null = null;
  let serveIndex: MiddlewareHandler | null = null;

  app.get('*', async (c, next) => {
    if (isReservedPath(c.req.path, apiPrefix)) return next();
    c.header('Content-Security-Policy', APP_POLICY);

    // Checked on every request, so that a build made while the server runs is served.
    if (!existsSync(indexFile)) return c.html(NOT_BUILT_PAGE, 200);

    serveFiles ??= serveStatic({ root: uiDir });
    serveIndex ??= serveStatic({ root: uiDir, path: 'index.html' });
    const response = await serveFiles(c, async () => {});
    if (response) return response;
    if (path.extname(c.req.path) !== '') return next();
    return (await serveIndex(c, async () => {})) ?? next();
  });
}
