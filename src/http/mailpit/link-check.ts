/** One checked link, as Mailpit's link check returns it. */
export interface LinkResult {
  URL: string;
  /** HTTP status code, or 0 when the request failed. */
  StatusCode: number;
  /** Status text such as `OK`, or the reason the request failed. */
  Status: string;
}

export interface LinkCheckResponse {
  /** Number of links that failed or returned a status of 400 or more. */
  Errors: number;
  Links: LinkResult[];
}

/** Time allowed for each link, in milliseconds. */
const LINK_TIMEOUT_MS = 5_000;
/** Links checked at the same time. */
const CONCURRENCY = 5;
/** Links checked per message; the rest are not requested. */
const MAX_LINKS = 200;
/** Redirects followed per link when `follow` is set. */
const MAX_REDIRECTS = 5;

// An http or https URL in HTML attributes or in plain text. It ends at whitespace, a
// quote, an angle bracket or a square bracket, because text made from HTML writes a link
// as `label [url]`.
const URL_PATTERN = /\bhttps?:\/\/[^\s"'<>[\]]+/gi;

/**
 * Lists the distinct http and https links of a message: `href` and `src` URLs of the HTML
 * body, and URLs written in the text body, in the order they appear.
 */
export function extractLinks(html: string, text: string): string[] {
  const links = new Set<string>();
  for (const match of `${html}\n${text}`.matchAll(URL_PATTERN)) {
    const link = decodeEntities(match[0]).replace(/[).,;]+$/, '');
    try {
      links.add(new URL(link).href);
    } catch {
      // Not a valid URL: skipped.
    }
    if (links.size >= MAX_LINKS) break;
  }
  return [...links];
}

function decodeEntities(value: string): string {
  return value.replace(/&amp;/g, '&').replace(/&#38;/g, '&');
}

/**
 * Requests each link with HEAD, and with GET where the server rejects HEAD, and reports
 * the status. Only the hosts that the message names are contacted. Redirects are
 * followed only when `follow` is set; otherwise a redirect's own status is reported.
 */
export async function checkLinks(
  links: readonly string[],
  follow: boolean,
): Promise<LinkCheckResponse> {
  const results: LinkResult[] = new Array<LinkResult>(links.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < links.length) {
      const index = next;
      next += 1;
      results[index] = await checkLink(links[index] as string, follow);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, links.length) }, worker));
  return {
    Errors: results.filter((result) => result.StatusCode === 0 || result.StatusCode >= 400).length,
    Links: results,
  };
}

async function checkLink(url: string, follow: boolean): Promise<LinkResult> {
  try {
    let response = await request(url, 'HEAD', follow);
    if (response.status === 405 || response.status === 501) {
      response = await request(url, 'GET', follow);
    }
    return { URL: url, StatusCode: response.status, Status: statusText(response) };
  } catch (error) {
    return { URL: url, StatusCode: 0, Status: failureReason(error) };
  }
}

async function request(url: string, method: 'HEAD' | 'GET', follow: boolean): Promise<Response> {
  let current = url;
  for (let redirects = 0; ; redirects += 1) {
    const response = await fetch(current, {
      method,
      redirect: 'manual',
      signal: AbortSignal.timeout(LINK_TIMEOUT_MS),
      headers: { 'User-Agent': 'Mailscope link check' },
    });
    await response.body?.cancel();
    const location = response.headers.get('location');
    const isRedirect = response.status >= 300 && response.status < 400 && location !== null;
    if (!follow || !isRedirect || redirects >= MAX_REDIRECTS) return response;
    current = new URL(location, current).href;
  }
}

function statusText(response: Response): string {
  return response.statusText !== '' ? response.statusText : String(response.status);
}

function failureReason(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return `timed out after ${LINK_TIMEOUT_MS} ms`;
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : error.message;
  }
  return String(error);
}
