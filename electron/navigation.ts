import { app, shell, type WebContents } from 'electron';

/** URL schemes that the system may open: web pages and new mail. */
const EXTERNAL_PROTOCOLS: ReadonlySet<string> = new Set(['http:', 'https:', 'mailto:']);

/** Documents that a frame inside the UI may show besides pages of the core's origin. */
const EMPTY_FRAME_URLS: ReadonlySet<string> = new Set(['about:blank', 'about:srcdoc']);

/** True when `url` belongs to `origin`, such as `http://127.0.0.1:8025`. */
export function isSameOrigin(url: string, origin: string | null): boolean {
  if (origin === null) return false;
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}

/** True for an http, https or mailto URL, the only kinds passed to the system. */
export function isSafeExternalUrl(url: string): boolean {
  try {
    return EXTERNAL_PROTOCOLS.has(new URL(url).protocol);
  } catch {
    return false;
  }
}

/** Opens `url` with the system's default program when it is safe to; ignores it otherwise. */
export function openExternally(url: string): void {
  if (!isSafeExternalUrl(url)) return;
  shell.openExternal(url).catch((error: unknown) => {
    console.error('navigation: opening an external URL failed', { url, error });
  });
}

/**
 * Locks one WebContents to the core's origin. A top-level navigation elsewhere is
 * cancelled and the URL goes to the system browser. A frame inside the page may only
 * show the core's pages or an empty document, and its other navigations are cancelled
 * without opening anything, because a message preview could start them with no click.
 * window.open never makes a window: the URL goes to the system browser. Webviews are
 * refused.
 *
 * `getOrigin` returns the core's current origin, or null while no core runs, when
 * every navigation is cancelled.
 */
export function guardWebContents(contents: WebContents, getOrigin: () => string | null): void {
  contents.on('will-navigate', (event) => {
    if (isSameOrigin(event.url, getOrigin())) return;
    event.preventDefault();
    openExternally(event.url);
  });
  contents.on('will-frame-navigate', (event) => {
    if (event.isMainFrame) return;
    if (isSameOrigin(event.url, getOrigin()) || EMPTY_FRAME_URLS.has(event.url)) return;
    event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    openExternally(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** Guards every WebContents the app creates, windows and frames of any kind alike. */
export function setupNavigationGuard(getOrigin: () => string | null): void {
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents, getOrigin));
}

/**
 * Returns the origin the window loads the UI from when the core's HTTP server listens on
 * `address`. A wildcard address is reached over loopback, because the server listens there too.
 */
export function coreOrigin(address: { host: string; port: number }): string {
  let host = address.host;
  if (host === '' || host === '0.0.0.0') host = '127.0.0.1';
  if (host === '::') host = '::1';
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}
