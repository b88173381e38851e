import { Hono, type Context } from 'hono';
import { splitAddress } from '../../address/index.js';
import type { EventBus } from '../../delivery/events.js';
import type { Logger } from '../../log.js';
import type { Store } from '../../store/index.js';
import type { MessageRelay } from '../../relay/relay.js';
import { parseGoInt } from '../mailpit/request.js';
import { leafParts, toContent, type MailhogContent } from './mime.js';
import { releaseToRelay } from './release.js';
import { MailhogSearch, type SearchKind } from './search.js';

export interface MailhogDeps {
  store: Store;
  events: EventBus;
  logger: Logger;
  /** The relay that releases go through; without it, release is off. */
  relay?: MessageRelay;
  now?: () => number;
}

/** MailHog's default and largest page sizes. */
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 250;

/** An envelope address as MailHog's Path encodes it. */
interface MailhogPath {
  Relays: string[] | null;
  Mailbox: string;
  Domain: string;
  Params: string;
}

interface MailhogMessage {
  ID: string;
  From: MailhogPath;
  To: MailhogPath[];
  Content: MailhogContent;
  Created: string;
  MIME: { Parts: MailhogContent[] } | null;
  Raw: { From: string; To: string[]; Data: string; Helo: string };
}

/**
 * MailHog's API as the `mailhog` npm client uses it: the /api/v2/messages and
 * /api/v2/search listings, and DELETE and release of one message under /api/v1/messages.
 * DELETE /api/v1/messages, which Mailpit shares, is served by the Mailpit routes.
 */
export function mailhogRoutes(deps: MailhogDeps): Hono {
  const { store } = deps;
  const now = deps.now ?? Date.now;
  const search = new MailhogSearch(store.db);
  const heloStatement = store.db.prepare('SELECT helo FROM deliveries WHERE id = ?');
  const heloOf = (id: string): string =>
    (heloStatement.get(id) as { helo: string } | undefined)?.helo ?? '';
  const routes = new Hono();

  routes.get('/api/v2/messages', (c) => {
    const { start, limit } = pageOf(c);
    const total = store.queries.counts().messages;
    const ids = store.queries.listMessages({ offset: start, limit }).map((item) => item.id);
    return c.json(listing(store, heloOf, ids, total, start));
  });

  routes.get('/api/v2/search', (c) => {
    const kind = c.req.query('kind') ?? '';
    const query = c.req.query('query') ?? '';
    if (!['from', 'to', 'containing'].includes(kind) || query === '') return c.body(null, 400);
    const { start, limit } = pageOf(c);
    const result = search.search(kind as SearchKind, query, { offset: start, limit });
    return c.json(listing(store, heloOf, result.ids, result.total, start));
  });

  routes.delete('/api/v1/messages/:id', (c) => {
    const id = c.req.param('id');
    if (!store.queries.deleteMessage(id)) return c.body(null, 404);
    deps.events.emitUserEvent({ type: 'message.deleted', deliveryId: id, at: now() });
    return c.body(null, 200);
  });

  routes.post('/api/v1/messages/:id/release', async (c) => {
    const id = c.req.param('id');
    const result = await releaseToRelay(deps.relay, id, await c.req.text());
    if (!('error' in result)) return c.body(null, result.status);
    // The relay logs the releases it records; this logs the requests rejected before them.
    if (result.status === 400) deps.logger.warn({ id, error: result.error }, 'release rejected');
    return c.json({ error: result.error }, result.status);
  });

  return routes;
}

/**
 * Reads `start` and `limit` as MailHog does, with Go's `strconv.Atoi`: a value that is not
 * an integer in Go's 64-bit range is ignored. A larger `start` is clamped to
 * Number.MAX_SAFE_INTEGER.
 */
function pageOf(c: Context): { start: number; limit: number } {
  const start = parseGoInt(c.req.query('start'));
  const limit = parseGoInt(c.req.query('limit'));
  return {
    start: start !== null && start > 0 ? start : 0,
    limit: limit !== null && limit > 0 ? Math.min(limit, MAX_LIMIT) : DEFAULT_LIMIT,
  };
}

function listing(
  store: Store,
  heloOf: (id: string) => string,
  ids: string[],
  total: number,
  start: number,
) {
  const items: MailhogMessage[] = [];
  for (const id of ids) {
    const raw = store.queries.getRaw(id);
    const message = raw === null ? null : toMailhogMessage(store, heloOf, id, raw);
    if (message !== null) items.push(message);
  }
  return { total, count: items.length, start, items };
}

/**
 * Builds MailHog's Message from the stored raw source and the delivery's envelope. The
 * source is decoded as UTF-8, so the bytes of an 8-bit body in another charset are
 * replaced.
 */
function toMailhogMessage(
  store: Store,
  heloOf: (id: string) => string,
  id: string,
  raw: Buffer,
): MailhogMessage | null {
  const delivery = store.queries.getDeliveryOverview(id);
  const message = store.queries.getMessage(id);
  if (delivery === null || message === null) return null;
  const data = raw.toString('utf8');
  const parts = leafParts(data);
  return {
    ID: id,
    From: toPath(delivery.mailFrom),
    To: message.envelopeRecipients.map(toPath),
    Content: toContent(data),
    Created: new Date(message.receivedAt).toISOString(),
    MIME: parts === null ? null : { Parts: parts },
    Raw: {
      From: delivery.mailFrom,
      To: message.envelopeRecipients,
      Data: data,
      Helo: heloOf(id),
    },
  };
}

function toPath(address: string): MailhogPath {
  const { localPart, domain } = splitAddress(address);
  return { Relays: null, Mailbox: localPart, Domain: domain, Params: '' };
}
