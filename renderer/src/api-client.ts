import type {
  ApiErrorBody,
  DeliveryPage,
  DeliveryState,
  DeliveryView,
  HeaderRecord,
  PartRecord,
  ServerStatus,
  StoreCounts,
  TagList,
} from '../../src/http/api-types.js';

/**
 * Base of every API URL. It is relative to the page, so the same build works from the
 * core's HTTP server in a browser tab and in the Electron window.
 */
export const API_BASE = 'api/mailscope';

/**
 * A failed request to the Mailscope API. `message` is a sentence for people: the API's own
 * `error` text when it sent one. `status` is 0 for a network error, and `request` names the
 * method and path for logs.
 */
export class ApiError extends Error {
  override name = 'ApiError';

  constructor(
    readonly status: number,
    message: string,
    readonly request: string,
  ) {
    super(message);
  }
}

export interface DeliveryQuery {
  outcomes: DeliveryState[];
  q: string;
  /** `*` lists only deliveries aborted by a failure rule. */
  rule?: string;
  cursor: string | null;
  limit: number;
}

export async function send(path: string, init: RequestInit = {}): Promise<Response> {
  const request = `${init.method ?? 'GET'} ${path}`;
  let response: Response;
  try {
    response = await fetch(`${API_BASE}/${path}`, init);
  } catch (error) {
    if (init.signal?.aborted) throw error;
    throw new ApiError(
      0,
      `Mailscope did not respond (${(error as Error).message}). Check that it is still running.`,
      request,
    );
  }
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    throw new ApiError(response.status, errorSentence(response.status, text), request);
  }
  return response;
}

/** Returns the `error` sentence of an ApiErrorBody, or a sentence naming the HTTP status. */
function errorSentence(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as Partial<ApiErrorBody>;
    if (typeof parsed.error === 'string' && parsed.error !== '') return parsed.error;
  } catch {
    // Not JSON, such as a proxy's HTML error page: fall through to the status.
  }
  return `The server returned HTTP ${status}.`;
}

async function sendJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await send(path, { ...init, headers: { Accept: 'application/json' } });
  return (await response.json()) as T;
}

export function listDeliveries(query: DeliveryQuery, signal?: AbortSignal): Promise<DeliveryPage> {
  const params = new URLSearchParams();
  if (query.outcomes.length > 0) params.set('outcome', query.outcomes.join(','));
  if (query.q.trim() !== '') params.set('q', query.q.trim());
  if (query.rule !== undefined) params.set('rule', query.rule);
  if (query.cursor !== null) params.set('cursor', query.cursor);
  params.set('limit', String(query.limit));
  return sendJson<DeliveryPage>(`deliveries?${params}`, { signal });
}

export function getDelivery(id: string, signal?: AbortSignal): Promise<DeliveryView> {
  return sendJson<DeliveryView>(`deliveries/${encodeURIComponent(id)}`, { signal });
}

export async function getHeaders(id: string, signal?: AbortSignal): Promise<HeaderRecord[]> {
  const body = await sendJson<{ headers: HeaderRecord[] }>(
    `messages/${encodeURIComponent(id)}/headers`,
    { signal },
  );
  return body.headers;
}

export async function getParts(id: string, signal?: AbortSignal): Promise<PartRecord[]> {
  const body = await sendJson<{ parts: PartRecord[] }>(`messages/${encodeURIComponent(id)}/parts`, {
    signal,
  });
  return body.parts;
}

export function getCounts(signal?: AbortSignal): Promise<StoreCounts> {
  return sendJson<StoreCounts>('counts', { signal });
}

export function getStatus(signal?: AbortSignal): Promise<ServerStatus> {
  return sendJson<ServerStatus>('status', { signal });
}

/** Fetches the raw source of a message as text, from the `rawUrl` of its MessageView. */
export async function getRawSource(rawUrl: string, signal?: AbortSignal): Promise<string> {
  const response = await fetch(pageRelative(rawUrl), { signal });
  if (!response.ok) {
    throw new ApiError(
      response.status,
      `The raw source could not be loaded: the server returned HTTP ${response.status}.`,
      `GET ${rawUrl}`,
    );
  }
  return response.text();
}

export async function setRead(id: string, read: boolean): Promise<void> {
  await send(`messages/${encodeURIComponent(id)}/read`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ read }),
  });
}

/**
 * Deletes a delivery with its message, if it has one. The server rejects a delivery
 * still in progress with 409.
 */
export async function deleteDelivery(id: string): Promise<void> {
  await send(`deliveries/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

export async function deleteAllMessages(): Promise<number> {
  const response = await send('messages', { method: 'DELETE' });
  const body = (await response.json()) as { deleted: number };
  return body.deleted;
}

/** Adds tags to a message; the server cleans the names. */
export async function addMessageTags(id: string, tags: string[]): Promise<void> {
  await send(`messages/${encodeURIComponent(id)}/tags`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ tags }),
  });
}

export async function removeMessageTag(id: string, tag: string): Promise<void> {
  await send(`messages/${encodeURIComponent(id)}/tags/${encodeURIComponent(tag)}`, {
    method: 'DELETE',
  });
}

/** Lists every tag with the number of messages that carry it, sorted by name. */
export async function listTags(signal?: AbortSignal): Promise<TagList['tags']> {
  const body = await sendJson<TagList>('tags', { signal });
  return body.tags;
}

/**
 * Renames a tag on every message. The server cleans the new name and rejects an invalid
 * name with 400 and a name that another tag has with 409.
 */
export async function renameTag(name: string, newName: string): Promise<void> {
  await send(`tags/${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: newName }),
  });
}

/** Removes a tag from every message. */
export async function deleteTag(name: string): Promise<void> {
  await send(`tags/${encodeURIComponent(name)}`, { method: 'DELETE' });
}

/** URL of one decoded MIME part. The server names the download after the part. */
export function partUrl(messageId: string, partId: string): string {
  return `${API_BASE}/messages/${encodeURIComponent(messageId)}/parts/${encodeURIComponent(partId)}`;
}

/**
 * Makes a URL from the API, such as `/api/mailscope/messages/1/raw`, relative to the
 * page, so the UI keeps working when it is served below another path.
 */
export function pageRelative(url: string): string {
  return url.startsWith('/') && !url.startsWith('//') ? url.slice(1) : url;
}

/** Returns `url` with one query parameter added, keeping any query it already has. */
export function withQueryParam(url: string, name: string, value: string): string {
  const separator = url.includes('?') ? '&' : '?';
  return `${url}${separator}${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
}
