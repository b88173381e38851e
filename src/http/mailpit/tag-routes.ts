import { Hono } from 'hono';

import { TagLimitError, TagNameError } from '../../store/tags.js';
import type { MailpitDeps } from './index.js';
import { field, ok, readJsonBody, stringList } from './request.js';

/** Mailpit's tag routes: list (GET /tags), set (PUT /tags), rename and delete one tag. */
export function tagRoutes(deps: MailpitDeps): Hono {
  const { store, events } = deps;
  const now = deps.now ?? Date.now;
  const routes = new Hono();

  routes.get('/tags', (c) => c.json(store.queries.listTags()));

  // Replaces the tags of each listed message; `Tags` missing or [] clears them.
  routes.put('/tags', async (c) => {
    const body = await readJsonBody(c);
    if (!body.ok) return c.text(body.error, 400);
    const ids = stringList(body.value, 'IDs');
    const tags = stringList(body.value, 'Tags');
    if (ids === null || tags === null) {
      return c.text('Invalid request body: expected {"IDs": [...], "Tags": [...]}', 400);
    }
    const existing = [...new Set(ids)].filter((id) => store.queries.getMessageSubject(id) !== null);
    try {
      store.queries.setTags(existing, tags);
    } catch (error) {
      if (error instanceof TagLimitError) return c.text(error.message, 400);
      throw error;
    }
    for (const id of existing) {
      const current = store.queries.getTags(id);
      events.emitUserEvent({ type: 'message.tags', deliveryId: id, at: now(), tags: current });
    }
    return ok(c);
  });

  routes.put('/tags/:tag', async (c) => {
    const tag = c.req.param('tag');
    const body = await readJsonBody(c);
    if (!body.ok) return c.text(body.error, 400);
    const name = field(body.value, 'Name');
    if (typeof name !== 'string') return c.text(`invalid tag name: ${String(name)}`, 400);
    try {
      if (!store.queries.renameTag(tag, name)) return c.text(`tag not found: ${tag}`, 400);
    } catch (error) {
      if (error instanceof TagNameError || error instanceof TagLimitError) {
        return c.text(error.message, 400);
      }
      throw error;
    }
    events.emitUserEvent({ type: 'tags.changed', at: now() });
    return ok(c);
  });

  routes.delete('/tags/:tag', (c) => {
    const tag = c.req.param('tag');
    if (!store.queries.deleteTag(tag)) return c.text(`tag not found: ${tag}`, 400);
    events.emitUserEvent({ type: 'tags.changed', at: now() });
    return ok(c);
  });

  return routes;
}
