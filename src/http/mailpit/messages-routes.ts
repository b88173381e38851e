import { Hono, type Context } from 'hono';

import type { MailpitDeps } from './index.js';
import { field, ok, parseGoInt, readJsonBody, stringList, timeZoneOf } from './request.js';
import { idsReceivedBefore, readStateOf, receivedBefore } from './rows.js';
import { buildMessageSummary } from './summary.js';
import type { MailpitMessageSummary, MailpitMessagesSummary } from './types.js';

/** Mailpit's default page size. */
const DEFAULT_LIMIT = 50;

/**
 * Builds the mailbox routes of Mailpit's API v1: list (GET /messages), read state
 * (PUT /messages), delete (DELETE /messages) and search (GET and DELETE /search).
 */
export function messagesRoutes(deps: MailpitDeps): Hono {
  const routes = new Hono();

  routes.get('/messages', (c) => {
    const { start, limit } = pageOf(c);
    const counts = deps.store.queries.counts();
    const page = { offset: start, limit: limit === 0 ? counts.messages : limit };
    const before = beforeOf(c);
    const ids =
      before === null
        ? deps.store.queries.listMessages(page).map((item) => item.id)
        : idsReceivedBefore(deps.store.db, before, page);
    // The counts of the list ignore `before`, as Mailpit's do.
    return c.json(
      envelope(deps, { start, matched: counts.messages, matchedUnread: counts.unread, ids }),
    );
  });

  routes.get('/search', (c) => {
    const query = c.req.query('query') ?? '';
    if (query.trim() === '') return c.text('Error: no search query', 400);
    const { start, limit } = pageOf(c);
    const before = beforeOf(c);
    if (before !== null) return c.json(searchBefore(deps, query, before, { start, limit }, c));
    // Mailpit returns no rows for limit=0 here, unlike the list, which returns them all.
    const result = deps.store.queries.searchMessages(query, {
      offset: start,
      limit,
      timeZone: timeZoneOf(c),
    });
    return c.json(
      envelope(deps, {
        start,
        matched: result.total,
        matchedUnread: result.unread,
        ids: result.ids,
      }),
    );
  });

  routes.put('/messages', async (c) => {
    const body = await readJsonBody(c);
    if (!body.ok) return c.text(body.error, 400);
    const read = field(body.value, 'Read') ?? false;
    const ids = stringList(body.value, 'IDs');
    const search = field(body.value, 'Search') ?? '';
    if (typeof read !== 'boolean' || ids === null || typeof search !== 'string') {
      return c.text('Invalid request body: expected {"Read": bool, "IDs": [...]} or a Search', 400);
    }
    if (ids.length > 0 && search.trim() !== '') {
      return c.text('You may specify either IDs or a search query, not both', 400);
    }

    let targets: string[];
    if (ids.length > 0) targets = ids;
    else if (search.trim() !== '') targets = allMatching(deps, search, timeZoneOf(c));
    else targets = allMatching(deps, read ? 'is:unread' : 'is:read');
    setRead(deps, targets, read);
    return ok(c);
  });

  routes.delete('/messages', async (c) => {
    const text = await c.req.text();
    const ids = idsToDelete(text);
    if (ids.length === 0) {
      const deleted = deps.store.queries.deleteAll();
      deps.events.emitUserEvent({ type: 'messages.cleared', at: now(deps), deleted });
    } else {
      deleteMessages(deps, ids);
    }
    return isMailhogClient(c, text) ? c.body(null, 200) : ok(c);
  });

  routes.delete('/search', (c) => {
    const query = c.req.query('query') ?? '';
    if (query.trim() === '') return c.text('Error: no search query', 400);
    deleteMessages(deps, allMatching(deps, query, timeZoneOf(c)));
    return ok(c);
  });

  return routes;
}

/**
 * Reads `start` and `limit` as Mailpit does: a `start` that is not a positive integer
 * counts as 0, and a `limit` that is not an integer of 0 or more counts as 50. Integers
 * outside Go's 64-bit range are invalid, and values above Number.MAX_SAFE_INTEGER are
 * clamped to it.
 */
function pageOf(c: Context): { start: number; limit: number } {
  const start = parseGoInt(c.req.query('start'));
  const limit = parseGoInt(c.req.query('limit'));
  return {
    start: start !== null && start > 0 ? start : 0,
    limit: limit !== null && limit >= 0 ? limit : DEFAULT_LIMIT,
  };
}

/**
 * Reads the `before` parameter, which Mailpit's UI sends to page through a long list: only
 * messages received before that time are listed. Returns null when it is absent or invalid.
 */
function beforeOf(c: Context): number | null {
  const value = c.req.query('before');
  if (value === undefined || value === '') return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : time;
}

/**
 * Searches with `before`: the page and the unread count cover the matches received before
 * that time, while `messages_count` counts every match, as in Mailpit.
 */
function searchBefore(
  deps: MailpitDeps,
  query: string,
  before: number,
  page: { start: number; limit: number },
  c: Context,
): MailpitMessagesSummary {
  const matching = allMatching(deps, query, timeZoneOf(c));
  const earlier = receivedBefore(deps.store.db, matching, before);
  return envelope(deps, {
    start: page.start,
    matched: matching.length,
    matchedUnread: earlier.filter((message) => !message.read).length,
    ids: earlier.slice(page.start, page.start + page.limit).map((message) => message.id),
  });
}

function envelope(
  deps: MailpitDeps,
  page: { start: number; matched: number; matchedUnread: number; ids: string[] },
): MailpitMessagesSummary {
  const counts = deps.store.queries.counts();
  const messages = page.ids
    .map((id) => buildMessageSummary(deps.store, id))
    .filter((summary): summary is MailpitMessageSummary => summary !== null);
  return {
    total: counts.messages,
    unread: counts.unread,
    count: messages.length,
    messages_count: page.matched,
    messages_unread: page.matchedUnread,
    start: page.start,
    tags: deps.store.queries.listTags(),
    messages,
  };
}

/** Lists the id of every message that matches `query`, newest first. */
export function allMatching(deps: MailpitDeps, query: string, timeZone?: string): string[] {
  const first = deps.store.queries.searchMessages(query, { limit: 0, timeZone });
  if (first.total === 0) return [];
  return deps.store.queries.searchMessages(query, { limit: first.total, timeZone }).ids;
}

/**
 * Sets the read flag of each listed message and announces each change. A message that
 * already has the flag, and an unknown id, are skipped, as Mailpit does.
 */
export function setRead(deps: MailpitDeps, ids: readonly string[], read: boolean): void {
  for (const id of new Set(ids)) {
    const message = readStateOf(deps.store.db, id);
    if (message === null || message === read) continue;
    if (!deps.store.queries.setRead(id, read)) continue;
    deps.events.emitUserEvent({ type: 'message.read', deliveryId: id, at: now(deps), read });
  }
}

function deleteMessages(deps: MailpitDeps, ids: readonly string[]): void {
  for (const id of new Set(ids)) {
    if (!deps.store.queries.deleteMessage(id)) continue;
    deps.events.emitUserEvent({ type: 'message.deleted', deliveryId: id, at: now(deps) });
  }
}

/**
 * Reads the IDs of a delete request. Mailpit deletes every message when the body is
 * missing, empty or invalid, or when it lists no IDs.
 */
function idsToDelete(text: string): string[] {
  if (text.trim() === '') return [];
  try {
    return stringList(JSON.parse(text) as unknown, 'IDs') ?? [];
  } catch {
    return [];
  }
}

/**
 * Tells whether a delete-all request comes from the `mailhog` npm client, which sends no
 * body and no User-Agent (Node's http.request adds none), and which rejects any reply
 * body that is not JSON, such as Mailpit's `ok`. fetch, browsers and Cypress all send a
 * User-Agent, so Mailpit's clients still get `ok`.
 */
function isMailhogClient(c: Context, body: string): boolean {
  return body === '' && c.req.header('user-agent') === undefined;
}

function now(deps: MailpitDeps): number {
  return (deps.now ?? Date.now)();
}
