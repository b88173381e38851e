import { Hono, type Context } from 'hono';

import type { EventBus } from '../delivery/events.js';
import type { Store } from '../store/index.js';
import { TagLimitError, TagNameError } from '../store/tags.js';
import type { MessageTags, TagList } from './api-types.js';
import { apiError } from './responses.js';

export interface TagRouteOptions {
  store: Store;
  events: EventBus;
  now?: () => number;
}

/**
 * Routes for tags: the list of tags, renaming and deleting one everywhere, and the tags
 * of one message. Every change emits a live event, so that open inspectors update.
 */
export function tagRoutes(options: TagRouteOptions): Hono {
  const { store, events } = options;
  const now = options.now ?? Date.now;
  const queries = store.queries;
  const routes = new Hono();

  routes.get('/tags', (c) => c.json({ tags: queries.countTags() } satisfies TagList));

  routes.put('/tags/:name', async (c) => {
    const name = c.req.param('name');
    const body = await readJsonObject(c);
    if (typeof body === 'string') return apiError(c, 400, body);
    if (typeof body.name !== 'string') {
      return apiError(c, 400, 'Invalid body: expected {"name": "new tag name"}.');
    }
    let renamed: boolean;
    try {
      renamed = queries.renameTag(name, body.name);
    } catch (error) {
      if (error instanceof TagLimitError) return apiError(c, 400, error.message);
      if (!(error instanceof TagNameError)) throw error;
      return error.reason === 'exists'
        ? apiError(c, 409, `Tag "${error.tagName}" already exists; delete it or pick another name.`)
        : apiError(
            c,
            400,
            `Invalid tag name "${error.tagName}": use letters, digits, - _ . or space.`,
          );
    }
    if (!renamed) return apiError(c, 404, `Tag "${name}" not found.`);
    events.emitUserEvent({ type: 'tags.changed', at: now() });
    return c.json({ tags: queries.countTags() } satisfies TagList);
  });

  routes.delete('/tags/:name', (c) => {
    const name = c.req.param('name');
    if (!queries.deleteTag(name)) return apiError(c, 404, `Tag "${name}" not found.`);
    events.emitUserEvent({ type: 'tags.changed', at: now() });
    return c.body(null, 204);
  });

  routes.get('/messages/:id/tags', (c) => {
    const id = c.req.param('id');
    if (queries.getMessageSubject(id) === null) return messageNotFound(c, id);
    return c.json({ tags: queries.getTags(id) } satisfies MessageTags);
  });

  /** Replaces (PUT) or adds to (POST) the tags of one message. */
  const changeTags = (mode: 'set' | 'add') => async (c: Context) => {
    const id = c.req.param('id') ?? '';
    if (queries.getMessageSubject(id) === null) return messageNotFound(c, id);
    const body = await readJsonObject(c);
    if (typeof body === 'string') return apiError(c, 400, body);
    const tags = body.tags;
    if (!Array.isArray(tags) || !tags.every((tag) => typeof tag === 'string')) {
      return apiError(c, 400, 'Invalid body: expected {"tags": ["name", ...]}.');
    }
    try {
      if (mode === 'set') queries.setTags([id], tags);
      else queries.addTags([id], tags);
    } catch (error) {
      if (error instanceof TagLimitError) return apiError(c, 400, error.message);
      throw error;
    }
    return c.json({ tags: publishTags(id) } satisfies MessageTags);
  };
  routes.put('/messages/:id/tags', changeTags('set'));
  routes.post('/messages/:id/tags', changeTags('add'));

  routes.delete('/messages/:id/tags/:name', (c) => {
    const { id, name } = c.req.param();
    if (queries.getMessageSubject(id) === null) return messageNotFound(c, id);
    queries.removeTags([id], [name]);
    return c.json({ tags: publishTags(id) } satisfies MessageTags);
  });

  /** Emits the tags of a message as a live event and returns them. */
  function publishTags(id: string): string[] {
    const tags = queries.getTags(id);
    events.emitUserEvent({ type: 'message.tags', deliveryId: id, at: now(), tags });
    return tags;
  }

  return routes;
}

function messageNotFound(c: Context, id: string): Response {
  return apiError(c, 404, `Message ${id} not found.`);
}

/** Reads a JSON object body; returns the error message when it is not one. */
async function readJsonObject(c: Context): Promise<Record<string, unknown> | string> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return 'Invalid body: expected a JSON object.';
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return 'Invalid body: expected a JSON object.';
  }
  return body as Record<string, unknown>;
}
