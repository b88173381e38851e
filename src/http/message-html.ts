import type { PartRecord } from '../store/index.js';
import { normalizeContentId } from '../store/parse/parts.js';

// A cid: URL ends at a quote, whitespace, a closing parenthesis (CSS url()) or a `>`, the
// same rule the store follows when it decides which parts the HTML references.
const CID_URL = /\bcid:([^"'\s)>]+)/gi;

// The referrer policy keeps remote servers from learning the inspector's URL when remote
// content is allowed, and the base target opens links outside the preview frame.
const HEAD_ADDITIONS = '<meta name="referrer" content="no-referrer"><base target="_blank">';

// Insertion points of HEAD_ADDITIONS: after the first of these tags found, else at the start.
const INSERTION_POINTS = [/<head\b[^>]*>/i, /<html\b[^>]*>/i, /<!doctype\b[^>]*>/i];

/**
 * Prepares the HTML body of a message for the preview frame. Each `cid:` URL that names
 * a part of the message becomes `parts/<part id>?inline=1`, which resolves against the
 * URL of the `html` route to that part's content. A reference matches a Content-ID
 * without regard to case or angle brackets, as written or percent-decoded (RFC 2392).
 * A referrer policy and a base target are added to the head. Nothing is removed: the
 * Content-Security-Policy from `messageHtmlPolicy` is what keeps scripts from running.
 */
export function prepareMessageHtml(html: string, parts: readonly PartRecord[]): string {
  const partIds = new Map<string, string>();
  for (const part of parts) {
    if (part.contentId === null) continue;
    const key = normalizeContentId(part.contentId);
    if (!partIds.has(key)) partIds.set(key, part.partId);
  }

  const rewritten = html.replace(CID_URL, (url: string, reference: string) => {
    const partId = partIds.get(normalizeContentId(reference)) ?? partIds.get(decoded(reference));
    return partId === undefined ? url : `parts/${encodeURIComponent(partId)}?inline=1`;
  });
  return insertIntoHead(rewritten);
}

function decoded(reference: string): string {
  try {
    return normalizeContentId(decodeURIComponent(reference));
  } catch {
    return normalizeContentId(reference);
  }
}

function insertIntoHead(html: string): string {
  for (const pattern of INSERTION_POINTS) {
    const match = pattern.exec(html);
    if (match) {
      const end = match.index + match[0].length;
      return html.slice(0, end) + HEAD_ADDITIONS + html.slice(end);
    }
  }
  return HEAD_ADDITIONS + html;
}

export interface MessageHtmlPolicyOptions {
  /** The server's own origin, such as `http://127.0.0.1:8025`. */
  origin: string;
  /** Allows images, styles, fonts and media from any http and https address. */
  remote: boolean;
}

/**
 * Returns the Content-Security-Policy of a message's HTML body. It blocks scripts,
 * plugins, frames, forms, `<base href>` and every request that is not an image, a style,
 * a font or a medium. Those load from the server itself (where the cid parts are) and
 * from `data:` URLs, and from anywhere once `remote` is set.
 *
 * The server's origin is listed next to `'self'` because a frame sandboxed without
 * `allow-same-origin` has an opaque origin, which `'self'` may then not match. The
 * `sandbox` directive applies even when the page is opened outside the inspector's frame.
 */
export function messageHtmlPolicy(options: MessageHtmlPolicyOptions): string {
  const sources = ["'self'", options.origin, 'data:'];
  if (options.remote) sources.push('http:', 'https:');
  const from = sources.join(' ');
  return [
    "default-src 'none'",
    "script-src 'none'",
    "object-src 'none'",
    "frame-src 'none'",
    "child-src 'none'",
    "worker-src 'none'",
    "connect-src 'none'",
    "manifest-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
    `img-src ${from}`,
    `style-src ${from} 'unsafe-inline'`,
    `font-src ${from}`,
    `media-src ${from}`,
    "frame-ancestors 'self'",
    'sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox',
  ].join('; ');
}
